"""The dependency tree npm would install: a pure function over packuments (no I/O), after @npmcli/arborist.

    resolve_tree(root, lock, docs, platform) -> Resolution

`docs` maps a package name to its packument, None (the registry has no such package) or a string (why it
could not be fetched). When the walk needs a packument that is not in `docs` yet, the Resolution lists it in
`missing`; the caller fetches those and calls again (a fresh, deterministic run over more data). Placement
follows arborist's buildIdealTree: a queue by depth then path, each node's problem edges picked first and
placed in name order, each at the shallowest ancestor without a conflict (hoisting), an existing version reused
when it satisfies the edge (KEEP), replaced when every dependent accepts the newer one, deeper copies pruned
once a shallower one serves them (dedupe). Peer dependencies are loaded as a set with their dependent and
placed beside it; a peer already in the tree that satisfies the range is reused. Optional dependencies that
cannot be resolved are dropped like npm drops them. `os`/`cpu` do not filter (npm keeps every platform's
optional binaries in the lockfile); `engines` only steers version choice, as in npm-pick-manifest.

A shipped lockfile is the starting tree (arborist's virtual tree): its entries are kept, and only edges the
lockfile does not satisfy are resolved -- they are reported as `lock_gaps` (the lockfile is incomplete).
Not modelled: overrides, workspaces, links, bundled dependencies' contents (reported as problems).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import nodesemver

from extgate.trust.resolve import Spec, satisfies
from extgate.trust.resolve import parse_spec as _parse_spec

parse_spec = functools.lru_cache(maxsize=65536)(_parse_spec)  # pure; the same specs recur in every round
MAX_PEER_DEPTH = 32
WORK_PER_NODE = 100  # placement checks per allowed node (gulp's real 347-node tree needs 5)
MAX_NESTING = 64  # node_modules levels; real trees stay under ~15
PROD, OPTIONAL, PEER, PEER_OPTIONAL = "prod", "optional", "peer", "peerOptional"
Doc = Mapping[str, Any] | str | None

# ICU root collation (arborist sorts with localeCompare 'en'): punctuation < digits < letters, case ignored first
_PUNCT = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


@functools.lru_cache(maxsize=65536)
def locale_key(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for char in text:
        low = char.lower()
        if low in _PUNCT:
            out.append((0, _PUNCT.index(low)))
        elif low.isdigit():
            out.append((1, ord(low)))
        else:
            out.append((2, ord(low)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Platform:
    """The consumer environment npm-pick-manifest checks `engines` against."""

    node: str = "22.12.0"
    npm: str | None = None


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One installed node a lockfile lists.

    path      `node_modules/a/node_modules/b` (v1 nesting is converted to this)
    name      the real package name (an alias entry carries the target's name)
    version   as written; not a semver version => a git/url/file dependency, kept as is, never re-resolved
    manifest  its dependency tables as the lockfile records them (v2/v3), or None when the lockfile does not
              say (v1): the packument's manifest is used then, as npm does for old lockfiles
    """

    path: str
    name: str
    version: str
    manifest: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Placed:
    """A node of the resolved tree.

    chain      package names from the root's dependency down to this node's dependent (empty: a direct one)
    source     lockfile, registry (picked from a packument), pinned (an exact spec whose packument is unknown),
               or non-registry (a lockfile entry that is not a registry version)
    manifest   what is known of its published manifest (None: unknown)
    optional   reached only through optional edges
    """

    path: str
    name: str
    version: str
    chain: tuple[str, ...]
    source: str
    manifest: Mapping[str, Any] | None
    optional: bool = False
    spec: str = ""  # the range its first dependent (end of `chain`) asks for


@dataclass(frozen=True, slots=True)
class Problem:
    """An edge npm could not satisfy from what is known. kind: unavailable (no packument: `reason` says why),
    not-found (404), no-match (no version satisfies), non-registry, invalid, conflict."""

    kind: str
    name: str
    spec: str
    chain: tuple[str, ...]
    reason: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Resolution:
    nodes: tuple[Placed, ...] = ()
    problems: tuple[Problem, ...] = ()
    missing: frozenset[str] = frozenset()
    lock_gaps: tuple[tuple[tuple[str, ...], str, str], ...] = ()  # (chain to the dependent, name, spec)
    too_many: bool = False


class _Stop(Exception):
    """A packument is needed that `docs` does not have yet."""


@dataclass(eq=False)
class _Node:
    name: str  # folder name (an alias's own name)
    package: str
    version: str
    manifest: Mapping[str, Any] | None
    source: str
    parent: _Node | None = None
    children: dict[str, _Node] = field(default_factory=dict)
    edges: dict[str, _Edge] = field(default_factory=dict)
    peers: dict[str, _Node] = field(default_factory=dict)  # loaded peer set (virtual nodes) while placing

    @property
    def depth(self) -> int:
        return sum(1 for _ in self.ancestry()) - 1

    @property
    def path(self) -> str:  # iterative: a hostile tree may nest deeper than Python's recursion limit
        names = [n.name for n in self.ancestry() if n.parent is not None]
        return "/".join(f"node_modules/{name}" for name in reversed(names))

    def ancestry(self) -> Iterable[_Node]:
        node: _Node | None = self
        while node is not None:
            yield node
            node = node.parent

    def resolve(self, name: str) -> _Node | None:
        for node in self.ancestry():
            if name in node.children:
                return node.children[name]
        return None

    def descends_from(self, other: _Node) -> bool:
        return any(node is other for node in self.ancestry())


@dataclass(eq=False)
class _Edge:
    source: _Node
    name: str
    spec: str
    type: str

    @property
    def peer(self) -> bool:
        return self.type in (PEER, PEER_OPTIONAL)

    @property
    def optional(self) -> bool:
        return self.type in (OPTIONAL, PEER_OPTIONAL)


def _edges_of(node: _Node) -> None:
    """Arborist's order: peers, then dependencies, then optionalDependencies (a later table wins a name)."""
    manifest = node.manifest or {}
    node.edges = {}
    meta = manifest.get("peerDependenciesMeta")
    meta = meta if isinstance(meta, Mapping) else {}
    tables: list[tuple[Any, str]] = []
    peers = manifest.get("peerDependencies")
    if isinstance(peers, Mapping):
        plain = {k: v for k, v in peers.items() if not (isinstance(meta.get(k), Mapping) and meta[k].get("optional"))}
        tables += [(plain, PEER), ({k: v for k, v in peers.items() if k not in plain}, PEER_OPTIONAL)]
    tables += [(manifest.get("dependencies"), PROD), (manifest.get("optionalDependencies"), OPTIONAL)]
    for table, kind in tables:
        if not isinstance(table, Mapping):
            continue
        for name, spec in table.items():
            if isinstance(name, str) and isinstance(spec, str):
                node.edges[name] = _Edge(node, name, spec, kind)


class _Builder:
    def __init__(
        self, docs: Mapping[str, Doc], platform: Platform, limit: int, memo: dict[tuple[str, str, str], Any]
    ) -> None:
        self.docs = docs
        self.platform = platform
        self.limit = limit
        self.memo = memo
        self.missing: set[str] = set()
        self.problems: dict[tuple[str, str, tuple[str, ...]], Problem] = {}
        self.count = 0
        self.too_many = False
        self.work = 0
        self.budget = WORK_PER_NODE * max(1, limit)
        self.gaps: list[tuple[tuple[str, ...], str, str]] = []

    def spend(self, units: int) -> None:
        """Bound the placement work: a hostile tree must not turn the resolver quadratic-times-depth for minutes."""
        self.work += units
        if self.work > self.budget:
            self.too_many = True
            raise _Stop

    def note_problem(self, kind: str, edge: _Edge, reason: str, chain: tuple[str, ...]) -> None:
        key = (edge.name, edge.spec, chain)
        if key not in self.problems:
            self.problems[key] = Problem(kind, edge.name, edge.spec, chain, reason, edge.optional)

    # -- versions ----------------------------------------------------------------------------------------------
    def doc(self, name: str) -> Doc:
        if name not in self.docs:
            self.missing.add(name)
            raise _Stop
        return self.docs[name]

    def pick(self, spec: Spec) -> tuple[str, Mapping[str, Any]] | Problem:
        """npm-pick-manifest over the packument (memoized: packuments do not change within a run)."""
        key = (spec.name, spec.kind, spec.value)
        if key in self.memo:
            cached: tuple[str, Mapping[str, Any]] | Problem = self.memo[key]
            return cached
        doc = self.doc(spec.name)
        result = self._pick(doc, spec)
        self.memo[key] = result
        return result

    def _pick(self, doc: Doc, spec: Spec) -> tuple[str, Mapping[str, Any]] | Problem:
        if isinstance(doc, str):
            return Problem("unavailable", spec.name, spec.raw, (), doc)
        if doc is None:
            return Problem("not-found", spec.name, spec.raw, (), f"the registry has no package {spec.name!r}")
        versions = doc.get("versions")
        versions = versions if isinstance(versions, Mapping) else {}
        tags = doc.get("dist-tags")
        tags = tags if isinstance(tags, Mapping) else {}
        chosen: str | None = None
        if spec.kind == "tag":
            chosen = tags.get(spec.value) if isinstance(tags.get(spec.value), str) else None
        elif spec.kind == "version":
            chosen = spec.value
        else:
            latest = tags.get("latest")
            if (
                isinstance(latest, str)
                and isinstance(versions.get(latest), Mapping)
                and (spec.value == "*" or satisfies(latest, spec.value))
                and self._engine_ok(versions[latest])
                and not versions[latest].get("deprecated")
            ):
                chosen = latest
            else:
                chosen = self._best(versions, spec.value)
        manifest = versions.get(chosen) if chosen else None
        if chosen is None or not isinstance(manifest, Mapping):
            what = {"tag": "dist-tag", "version": "version"}.get(spec.kind, "range")
            reason = f"no published version matches {what} {spec.value!r} ({len(versions)} versions on the registry)"
            return Problem("no-match", spec.name, spec.raw, (), reason)
        return chosen, manifest

    def _best(self, versions: Mapping[str, Any], wanted: str) -> str | None:
        best: tuple[tuple[bool, bool, bool], str] | None = None
        for version, manifest in versions.items():
            if not isinstance(version, str) or not isinstance(manifest, Mapping):
                continue
            if wanted != "*" and not satisfies(version, wanted):
                continue
            if wanted == "*" and not satisfies(version, "*"):
                continue
            engine = self._engine_ok(manifest)
            fresh = not manifest.get("deprecated")
            rank = (fresh and engine, engine, fresh)
            if best is None or rank > best[0] or (rank == best[0] and _gt(version, best[1])):
                best = (rank, version)
        return best[1] if best else None

    def _engine_ok(self, manifest: Mapping[str, Any]) -> bool:
        engines = manifest.get("engines")
        if not isinstance(engines, Mapping):
            return True
        for key, have in (("node", self.platform.node), ("npm", self.platform.npm)):
            wanted = engines.get(key)
            if have and isinstance(wanted, str) and wanted.strip() and not _satisfies_pre(have, wanted):
                return False
        return True

    # -- validity ----------------------------------------------------------------------------------------------
    def satisfies(self, node: _Node, edge: _Edge) -> bool:
        spec = parse_spec(edge.name, edge.spec)
        if node.source == "non-registry":
            return True  # a git/url pin stays as the lockfile has it; it is reported, never re-resolved
        if spec.name != node.package:
            return False
        if spec.kind == "tag" or (spec.kind == "range" and spec.value == "*"):
            return True
        if spec.kind in ("range", "version"):
            return satisfies(node.version, spec.value)
        return False

    def valid(self, edge: _Edge) -> bool:
        to = edge.source.resolve(edge.name)
        if to is None:
            return edge.optional
        if edge.peer and to.parent is edge.source and edge.source.parent is not None:
            return False  # PEER LOCAL: a peer must sit beside its dependent, not under it
        return self.satisfies(to, edge)

    def problem_edges(self, node: _Node) -> list[_Edge]:
        bundled = node.manifest.get("bundleDependencies") if node.manifest and node.parent else None
        bundled = set(bundled) if isinstance(bundled, list) else set()
        out = []
        for edge in node.edges.values():
            if edge.name in bundled:
                continue
            to = node.resolve(edge.name)
            if to is None:
                if edge.type != PEER_OPTIONAL:
                    out.append(edge)
            elif not self.valid(edge):
                out.append(edge)
        return out


class _Tree:
    def __init__(self, builder: _Builder, root: _Node) -> None:
        self.b = builder
        self.root = root
        self.inventory: set[_Node] = set()
        self.queue: list[_Node] = []
        self.seen: set[_Node] = set()
        self.named: dict[str, set[_Node]] = {}  # folder name -> nodes
        self.dependents: dict[str, set[_Node]] = {}  # edge name -> nodes with such an edge
        self.index_edges(root)

    def index_edges(self, node: _Node) -> None:
        for name in node.edges:
            self.dependents.setdefault(name, set()).add(node)

    def add(self, node: _Node) -> None:
        self.inventory.add(node)
        self.named.setdefault(node.name, set()).add(node)
        self.index_edges(node)

    def discard(self, node: _Node) -> None:
        self.inventory.discard(node)
        self.named.get(node.name, set()).discard(node)
        for name in node.edges:
            self.dependents.get(name, set()).discard(node)

    # -- structure --------------------------------------------------------------------------------------------
    def attach(self, node: _Node, parent: _Node) -> None:
        node.parent = parent
        parent.children[node.name] = node
        self.add(node)
        self.b.count += 1
        if self.b.count > self.b.limit or node.depth > MAX_NESTING:
            self.b.too_many = True
            raise _Stop

    def detach(self, node: _Node) -> None:
        if node.parent is not None and node.parent.children.get(node.name) is node:
            del node.parent.children[node.name]
        stack = [node]
        while stack:
            current = stack.pop()
            self.discard(current)
            stack.extend(current.children.values())

    def edges_in(self, node: _Node) -> list[_Edge]:
        found = []
        candidates = self.dependents.get(node.name, set())
        self.b.spend(len(candidates))
        for other in candidates:  # order-free: callers test all() or queue what they find (the queue is sorted)
            edge = other.edges.get(node.name)
            if edge is not None and other.resolve(node.name) is node:
                found.append(edge)
        return found

    def can_replace(self, current: _Node, dep: _Node) -> bool:
        """Every dependent of `current` outside its own subtree accepts `dep`."""
        return (
            all(e.source.descends_from(current) or self.b.satisfies(dep, e) for e in self.edges_in(current))
            and dep.package == current.package
        )

    def push(self, node: _Node) -> None:
        if node not in self.queue:
            self.queue.append(node)

    # -- placement (arborist PlaceDep / CanPlaceDep) ----------------------------------------------------------
    @staticmethod
    def deepest(start: _Node, name: str) -> _Node:
        for target in start.ancestry():
            if target.parent is None:
                return target
            edge = target.edges.get(name)
            if edge is None or not edge.peer:
                return target
        return start

    def can_place(
        self, dep: _Node, target: _Node, edge: _Edge, top: _Edge, start: _Node, path: tuple[_Node, ...]
    ) -> str:
        self.b.spend(1)
        current = target.children.get(dep.name)
        target_edge = target.edges.get(dep.name)
        if target_edge is not None and target_edge.peer and target.parent is not None:
            return "conflict"
        if current is None and target_edge is not None and target_edge is not edge:  # noqa: SIM102
            if not self.b.satisfies(dep, target_edge):
                return "conflict"
        if current is not None:
            if current.package == dep.package and current.version == dep.version:
                return "keep"
            try_replace = _gte(dep.version, current.version)
            peers_fit = self.peers_ok(dep, target, top, path) != "conflict"
            if try_replace and self.can_replace(current, dep) and peers_fit:
                return "replace"
            if self.b.satisfies(current, edge):
                return "keep"
            if edge.peer and not try_replace and self.can_replace(current, dep) and peers_fit:
                return "replace"
            if target is not self.deepest(start, dep.name):
                return "conflict"
            if not edge.peer and target is edge.source:
                return "replace" if self.peers_ok(dep, target, top, path) != "conflict" else "conflict"
            return "conflict"
        shadowed = target.resolve(dep.name) if target is not top.source else None
        if shadowed is not None:
            for e in self.edges_in(shadowed):
                if e.source.descends_from(target) and self.b.valid(e) and not self.b.satisfies(dep, e):
                    return "conflict"
        return self.peers_ok(dep, target, top, path)

    def peers_ok(self, dep: _Node, target: _Node, top: _Edge, path: tuple[_Node, ...]) -> str:
        for name, peer in dep.peers.items():
            if peer in path or len(path) >= MAX_PEER_DEPTH:
                continue
            edge = dep.edges[name]
            spot = self.deepest(target, name)
            if self.can_place(peer, spot, edge, top, target, (*path, dep)) == "conflict":
                return "conflict"
        return "ok"

    def place(self, edge: _Edge, dep: _Node, top: _Edge | None = None, start_from: _Node | None = None) -> None:
        if edge.source.resolve(edge.name) is not None and self.b.valid(edge):
            return
        top = top or edge
        start = self.deepest(start_from or edge.source, edge.name)
        chosen: tuple[_Node, str] | None = None
        for target in start.ancestry():
            target_edge = target.edges.get(edge.name)
            if target.parent is not None and target_edge is not None and target_edge.peer:
                continue
            verdict = self.can_place(dep, target, edge, top, start, ())
            if verdict == "conflict":
                break
            chosen = (target, verdict)
        if chosen is None:
            # npm: ERESOLVE for the project's own peers, else "overriding peer dependency" and nest it
            self.b.note_problem("conflict", edge, "conflicting versions in the tree (npm: ERESOLVE)", self.chain(edge))
            chosen = (start, "replace" if edge.name in start.children else "ok")
        target, verdict = chosen
        if verdict == "keep":
            self.prune_dedupable(target, descend=True)
            return
        for above in target.ancestry():  # a cycle: the same version is already an ancestor
            if above.parent is not None and above.package == dep.package and above.version == dep.version:
                return
        placed = _Node(dep.name, dep.package, dep.version, dep.manifest, dep.source)
        _edges_of(placed)
        old = target.children.get(dep.name)
        if old is not None:
            self.replace(old, placed, target)
        else:
            self.attach(placed, target)
        self.push(placed)
        for other in sorted(self.named.get(dep.name, ()), key=lambda n: locale_key(n.path)):
            if other is not placed and other.descends_from(target) and other.parent and other in self.inventory:
                self.prune_dedupable(other, descend=False)
                for kid in list(other.children.values()):
                    self.prune_dedupable(kid, descend=False)
        for e in self.edges_in(placed):
            if e is not edge and not self.b.valid(e):
                self.seen.discard(e.source)
                self.push(e.source)
        for name, peer_edge in placed.edges.items():
            if peer_edge.type != PEER or self.b.valid(peer_edge):
                continue
            peer = dep.peers.get(name)
            if peer is not None and self.b.satisfies(peer, peer_edge):
                self.place(peer_edge, peer, top, start)

    def replace(self, old: _Node, new: _Node, target: _Node) -> None:
        del target.children[old.name]
        self.discard(old)
        self.attach(new, target)
        for child in list(old.children.values()):
            new.children[child.name] = child
            child.parent = new
        for name, edge in new.edges.items():
            kid = new.children.get(name)
            if kid is not None and not self.b.satisfies(kid, edge):
                self.detach(kid)

    def prune_dedupable(self, node: _Node, descend: bool) -> None:
        if node is not self.root and self.can_dedupe(node):
            self.detach(node)
            return
        if descend:
            for child in sorted(node.children.values(), key=lambda n: locale_key(n.path)):
                self.prune_dedupable(child, True)

    def can_dedupe(self, node: _Node) -> bool:
        if node.parent is None or node.parent.parent is None:
            return False
        dependents = self.edges_in(node)
        if not dependents:
            return True
        other = node.parent.parent.resolve(node.name)
        if other is None:
            return False
        if other.package == node.package and other.version == node.version:
            return True
        if not all(e.source.descends_from(node) or self.b.satisfies(other, e) for e in dependents):
            return False
        return _gte(other.version, node.version)

    # -- loading ----------------------------------------------------------------------------------------------
    def chain(self, edge: _Edge) -> tuple[str, ...]:
        return tuple(n.package for n in reversed(list(edge.source.ancestry())) if n.parent is not None)

    def node_for(
        self, edge: _Edge, spec_text: str, second: str | None = None, path: tuple[str, ...] = ()
    ) -> _Node | None:
        """A virtual node for the edge (not in the tree yet) with its peer set loaded; None (and a Problem
        noted) when nothing can be installed for it."""
        spec = parse_spec(edge.name, spec_text)
        chain = self.chain(edge)
        if not spec.registry:
            if spec.kind == "invalid":
                self.b.note_problem("invalid", edge, f"{spec_text!r} is not a valid version, range or dist-tag", chain)
            else:
                reason = f"{spec_text!r} is a {spec.kind} dependency, not a registry version"
                self.b.note_problem("non-registry", edge, reason, chain)
            return None
        picked = self.b.pick(spec)
        if isinstance(picked, Problem):
            self.b.note_problem(picked.kind, edge, picked.reason, chain)
            if picked.kind == "unavailable" and spec.kind == "version":
                return _Node(edge.name, spec.name, spec.value, None, "pinned")  # exact: still auditable
            return None
        if second is not None:
            picked = self._pick_both(spec, second) or picked
        version, manifest = picked
        node = _Node(edge.name, spec.name, version, manifest, "registry")
        _edges_of(node)
        self.load_peers(node, edge.source, (*path, edge.name))
        return node

    def _pick_both(self, spec: Spec, second: str) -> tuple[str, Mapping[str, Any]] | None:
        other = parse_spec(spec.name, second)
        if other.kind != "range" or spec.kind != "range":
            return None
        first = self.b.pick(spec)
        if isinstance(first, Problem) or satisfies(first[0], other.value):
            return None
        joint = parse_spec(spec.name, f"{spec.value} {other.value}")
        picked = self.b.pick(joint) if joint.kind == "range" else None
        return picked if isinstance(picked, tuple) else None

    def load_peers(self, node: _Node, source: _Node, path: tuple[str, ...]) -> None:
        for name in sorted((n for n, e in node.edges.items() if e.type == PEER), key=locale_key):
            if name in path:
                continue
            if len(path) >= MAX_PEER_DEPTH:  # peers of peers of ...: real sets are a few deep
                reason = f"peer dependencies nest more than {MAX_PEER_DEPTH} deep; the rest were not resolved"
                self.b.note_problem("invalid", node.edges[name], reason, self.chain(node.edges[name]))
                continue
            edge = node.edges[name]
            own = source.edges.get(name)
            if own is not None and not own.peer:
                peer = self.node_for(_Edge(source, name, own.spec, own.type), own.spec, edge.spec, path)
            else:
                peer = self.node_for(_Edge(source, name, edge.spec, PEER), edge.spec, None, path)
            if peer is not None:
                node.peers[name] = peer

    # -- the loop ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        while self.queue:
            self.queue.sort(key=lambda n: (n.depth, locale_key(n.path)))
            node = self.queue.pop(0)
            if node in self.seen or (node is not self.root and node not in self.inventory):
                continue
            self.seen.add(node)
            self.step(node)

    def step(self, node: _Node) -> None:
        if node.manifest is None and node.source == "lockfile":
            self.inflate(node)
        tasks: list[tuple[_Edge, _Node]] = []
        for edge in self.b.problem_edges(node):
            own = None
            if edge.peer and node.parent is not None:
                holder = node.parent
                own_edge = holder.edges.get(edge.name)
                own = own_edge.spec if own_edge is not None and not own_edge.peer else None
            dep = self.node_for(edge, own or edge.spec, edge.spec if own else None)
            if dep is not None:
                tasks.append((edge, dep))
        for edge, dep in sorted(tasks, key=lambda t: locale_key(t[0].name)):
            self.place(edge, dep)

    def inflate(self, node: _Node) -> None:
        """A v1 lockfile entry: its dependencies come from the packument, as npm reads old lockfiles."""
        doc = self.b.doc(node.package)
        manifest = None
        if isinstance(doc, Mapping):
            versions = doc.get("versions")
            manifest = versions.get(node.version) if isinstance(versions, Mapping) else None
        if isinstance(manifest, Mapping):
            node.manifest = manifest
            _edges_of(node)
            self.index_edges(node)
            for edge in self.b.problem_edges(node):
                if not (edge.optional and node.resolve(edge.name) is None):
                    self.b.gaps.append((self.chain(edge), edge.name, edge.spec))
            return
        reason = doc if isinstance(doc, str) else f"the registry does not list {node.package}@{node.version}"
        edge = _Edge(node.parent or self.root, node.name, node.version, PROD)
        kind = "unavailable" if isinstance(doc, str) else "not-found"
        self.b.note_problem(kind, edge, f"its dependencies are unknown: {reason}", self.chain(edge))


def _gt(a: str, b: str) -> bool:
    try:
        return int(nodesemver.compare(a, b, True)) > 0
    except (ValueError, TypeError):
        return False


def _gte(a: str, b: str) -> bool:
    try:
        return int(nodesemver.compare(a, b, True)) >= 0
    except (ValueError, TypeError):
        return False


def _satisfies_pre(version: str, wanted: str) -> bool:
    try:
        return bool(nodesemver.satisfies(version, wanted, True, include_prerelease=True))
    except TypeError:
        return satisfies(version, wanted)
    except ValueError:
        return False


def is_version(text: str) -> bool:
    try:
        return bool(nodesemver.valid(text, True))
    except (ValueError, TypeError):
        return False


def _lock_tree(tree: _Tree, lock: Iterable[LockEntry]) -> None:
    by_path = sorted(lock, key=lambda e: (e.path.count("node_modules/"), e.path))
    nodes: dict[str, _Node] = {"": tree.root}
    for entry in by_path:
        parent_path, _, folder = entry.path.rpartition("node_modules/")
        parent = nodes.get(parent_path.rstrip("/"))
        if parent is None or not folder:
            continue
        source = "lockfile" if is_version(entry.version) else "non-registry"
        node = _Node(folder, entry.name, entry.version, entry.manifest, source)
        if entry.manifest is not None:
            _edges_of(node)
        node.parent = parent
        parent.children[folder] = node
        tree.add(node)
        nodes[entry.path] = node


def resolve_tree(
    root: Mapping[str, Any],
    docs: Mapping[str, Doc],
    *,
    lock: Iterable[LockEntry] = (),
    platform: Platform = Platform(),
    transitive: bool = True,
    limit: int = 2000,
    memo: dict[tuple[str, str, str], Any] | None = None,
) -> Resolution:
    """The tree npm would install for a project whose package.json dependency tables are `root`.

    Pure: same inputs, same Resolution. `memo` may be shared across calls over the same `docs`."""
    builder = _Builder(docs, platform, limit, memo if memo is not None else {})
    root_node = _Node("", "", "", root, "root")
    _edges_of(root_node)
    tree = _Tree(builder, root_node)
    lock = tuple(lock)
    gaps: list[tuple[tuple[str, ...], str, str]] = []
    if lock:
        _lock_tree(tree, lock)
        for node in sorted([root_node, *tree.inventory], key=lambda n: (n.depth, locale_key(n.path))):
            if node.manifest is None:
                tree.push(node)  # v1: dependencies known only from the packument
                continue
            for edge in builder.problem_edges(node):
                if edge.optional and edge.source.resolve(edge.name) is None:
                    continue  # npm leaves failed/skipped optional deps out of lockfiles
                gaps.append((tree.chain(edge), edge.name, edge.spec))
                tree.push(node)
    tree.push(root_node)
    if not transitive:
        tree.queue = [root_node]
    stopped = False
    try:
        if transitive:
            tree.run()
        else:
            tree.seen.add(root_node)
            tree.step(root_node)
    except _Stop:
        stopped = True
    if stopped and not builder.too_many:
        # look ahead: every edge that will need a packument next, so the caller fetches a whole level at once
        for node in [root_node, *tree.queue]:
            for edge in builder.problem_edges(node):
                spec = parse_spec(edge.name, edge.spec)
                if spec.registry and spec.name not in docs:
                    builder.missing.add(spec.name)
        for picked in builder.memo.values():  # and what the versions picked so far will pull in
            if isinstance(picked, tuple):
                for table in ("dependencies", "optionalDependencies", "peerDependencies"):
                    deps = picked[1].get(table)
                    for name, raw in deps.items() if isinstance(deps, Mapping) else ():
                        spec = parse_spec(str(name), str(raw))
                        if spec.registry and spec.name not in docs:
                            builder.missing.add(spec.name)
        return Resolution(missing=frozenset(builder.missing))
    return Resolution(
        nodes=_placed(tree, builder),
        problems=tuple(builder.problems.values()),
        lock_gaps=tuple(dict.fromkeys([*gaps, *builder.gaps])),
        too_many=builder.too_many,
    )


def _placed(tree: _Tree, builder: _Builder) -> tuple[Placed, ...]:
    """Reachable nodes (extraneous ones dropped, like arborist's prune), each with its dependency chain
    (breadth-first: the shortest way in) and whether only optional edges reach it."""
    found: dict[_Node, tuple[str, ...]] = {}
    optional: dict[_Node, bool] = {}
    specs: dict[_Node, str] = {}
    frontier: list[tuple[_Node, tuple[str, ...], bool]] = [(tree.root, (), False)]
    while frontier:
        following: list[tuple[_Node, tuple[str, ...], bool]] = []
        for node, chain, opt_in in frontier:
            below = (*chain, node.package) if node is not tree.root else ()
            for name in sorted(node.edges, key=locale_key):
                edge = node.edges[name]
                to = node.resolve(name)
                if to is None or to is tree.root or (edge.type == PEER_OPTIONAL and not builder.satisfies(to, edge)):
                    continue
                opt = opt_in or edge.optional
                if to in found:
                    if optional[to] and not opt:
                        optional[to] = False
                        following.append((to, found[to], False))  # now required: so is what it pulls in
                    continue
                found[to] = below
                optional[to] = opt
                specs[to] = edge.spec
                following.append((to, below, opt))
        frontier = following
    out = [
        Placed(n.path, n.package, n.version, c, n.source, n.manifest, optional[n], specs[n]) for n, c in found.items()
    ]
    for node in tree.inventory - set(found):  # extraneous lockfile entries: npm would prune them, but they ship
        if node.source in ("lockfile", "non-registry"):
            chain = tuple(n.package for n in reversed(list(node.ancestry())) if n.parent is not None)[:-1]
            out.append(Placed(node.path, node.package, node.version, chain, node.source, node.manifest, True))
    return tuple(sorted(out, key=lambda p: locale_key(p.path)))
