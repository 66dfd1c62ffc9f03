#!/usr/bin/env bash
# The GitHub Action's check step (action.yml). Inputs arrive as INPUT_* environment variables, never pasted into
# the script. Reports go to a fresh folder under $RUNNER_TEMP unless the caller names files; stale reports are
# removed first, so the verdict (and the status output) is always this run's and extgate never scans its own SARIF.
set -uo pipefail

out() { printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; }
fail_usage() {
  printf '::error title=extgate::%s\n' "$1"
  out status error
  exit 2
}

EXTGATE="${EXTGATE:-extgate}"
command -v "$EXTGATE" > /dev/null || fail_usage "extgate is not installed ('$EXTGATE' not found)"
python_bin="$(dirname -- "$(command -v "$EXTGATE")")/python"  # extgate's own interpreter reads the verdict
[ -x "$python_bin" ] || python_bin=python3
workspace="${GITHUB_WORKSPACE:-$PWD}"
tmp="$(mktemp -d "${RUNNER_TEMP:-/tmp}/extgate.XXXXXX")" || fail_usage "cannot create a temp folder under RUNNER_TEMP"

[ -n "${INPUT_PATH:-}" ] || fail_usage "input 'path' is empty"
[ -e "$INPUT_PATH" ] || fail_usage "path '$INPUT_PATH' does not exist (relative to working-directory '$PWD')"
case "${INPUT_FAIL_ON:-warning}" in
  error | warning | never) ;;
  *) fail_usage "fail-on must be error, warning or never, not '${INPUT_FAIL_ON}'" ;;
esac
if [ -n "${INPUT_POLICY:-}" ] && [ ! -f "$INPUT_POLICY" ]; then
  fail_usage "policy file '$INPUT_POLICY' does not exist"
fi

sarif="${INPUT_SARIF_FILE:-$tmp/extgate.sarif}"
json="${INPUT_JSON_FILE:-$tmp/extgate.json}"
markdown="$tmp/summary.md"
rm -f -- "$sarif" "$json"  # a previous run's report must neither be scanned nor read back as this run's status
mkdir -p -- "$(dirname -- "$sarif")" "$(dirname -- "$json")"
"$python_bin" - "$INPUT_PATH" "$sarif" "$json" <<'PY'
import os, sys

checked = os.path.realpath(sys.argv[1])
for report in sys.argv[2:]:
    if os.path.isdir(checked) and os.path.realpath(report).startswith(checked + os.sep):
        print(f"::warning title=extgate::{report} is inside the checked folder {sys.argv[1]}: it would be published "
              "with the package (extgate removed the stale copy before checking); prefer the default, under RUNNER_TEMP")
PY

args=(check "$INPUT_PATH" --no-input --repo-root "$workspace"
  --format text --output -
  --format github --output -
  --format json --output "$json"
  --format sarif --output "$sarif"
  --format markdown --output "$markdown")
[ -n "${INPUT_POLICY:-}" ] && args+=(--policy "$INPUT_POLICY")
[ -n "${INPUT_PROFILE:-}" ] && args+=(--profile "$INPUT_PROFILE")
[ -n "${INPUT_REGISTRY:-}" ] && args+=(--registry "$INPUT_REGISTRY")
[ -n "${INPUT_OSV_DB:-}" ] && args+=(--osv-db "$INPUT_OSV_DB")
[ "${INPUT_OFFLINE:-false}" = "true" ] && args+=(--offline)

"$EXTGATE" "${args[@]}"
rc=$?

if [ ! -s "$json" ]; then  # usage error (2) or a crash: no verdict was written
  out status error
  printf '::error title=extgate::extgate exited with %s before writing a verdict (see the log above)\n' "$rc"
  exit $((rc == 0 ? 3 : rc))
fi
[ -s "$markdown" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat -- "$markdown" >> "$GITHUB_STEP_SUMMARY"

# Outputs from this run's JSON verdict; category matches the SARIF's automationDetails (one per package folder).
status="$("$python_bin" - "$json" "$INPUT_PATH" "$workspace" <<'PY'
import json, os, sys

verdict = json.load(open(sys.argv[1], encoding="utf-8"))
findings = verdict.get("findings", [])
score = verdict.get("score") or {}
root = os.path.relpath(os.path.realpath(sys.argv[2]), os.path.realpath(sys.argv[3])).replace(os.sep, "/")
outputs = {
    "status": verdict["status"],
    "errors": sum(f["level"] == "error" for f in findings),
    "warnings": sum(f["level"] == "warning" and not f["acknowledged"] for f in findings),
    "score": score.get("percentage", ""),
    "grade": score.get("grade", ""),
    "category": "extgate/" + (verdict.get("target", {}).get("root") or root),
}
with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as fh:
    fh.writelines(f"{key}={value}\n" for key, value in outputs.items())
print(verdict["status"])
PY
)" || fail_usage "could not read the verdict $json"
out sarif-file "$sarif"
out json-file "$json"
[ -s "$sarif" ] && out sarif-ready true

case "${INPUT_FAIL_ON:-warning}:$status" in
  never:*) exit 0 ;;
  error:needs-acknowledgement) exit 0 ;;
esac
exit "$rc"
