"""Make a (forked) root process subject to file permissions without giving up its identity.

Root reads every file whatever its mode (CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH), so an "unreadable file" test
must drop those two capabilities first. Switching to `nobody` instead would also lose the right to read the
checkout and its virtualenv wherever they sit under a private (0700) folder, as a CI clone in /root does: the
check would then fail on its own lazily-loaded data (a schema, the SPDX index), not on the hostile input. After
`drop_file_override()` the process is still uid 0 and reads what root owns by the owner bits, but a file or folder
with mode 000 is refused, as it is to any user.
"""

from __future__ import annotations

import ctypes
import os

_VERSION_3 = 0x20080522  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set
_DAC_BITS = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_file_override() -> None:
    """Remove CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this process (for good); raises OSError if it cannot."""
    libc = ctypes.CDLL(None, use_errno=True)
    header = _Header(_VERSION_3, 0)
    data = (_Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    for word in data[:1]:  # both capabilities live in the first word
        word.effective &= ~_DAC_BITS
        word.permitted &= ~_DAC_BITS
        word.inheritable &= ~_DAC_BITS
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def permissions_apply_after_drop(probe_dir: str) -> bool:
    """In a forked child: drop the override, then check that a mode-000 file in `probe_dir` cannot be read."""
    probe = os.path.join(probe_dir, "unreadable-probe")
    with open(probe, "w") as handle:
        handle.write("x")
    os.chmod(probe, 0)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            drop_file_override()
            try:
                open(probe).close()
            except PermissionError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    os.remove(probe)
    return os.waitstatus_to_exitcode(status) == 0
