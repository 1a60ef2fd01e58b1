"""Align a spec's rows with someone else's model: which ops of its trace make up each row of the table.

How it works
------------
Both networks, the spec's build (the reference) and the subject, are read as units (units.py): layers
with their decorations, blocks of branches, splits and weightless ops, along the main chain from the
input to the main output and along each auxiliary head. Then:

1. The main output. A subject may return several outputs, in any order and container (`(aux1, aux2,
   main)`, a dict, a namedtuple). Each is tried as the main output: the one that reaches through all
   the spec's main rows wins (or, when none does, the one that reaches furthest, counting the rows
   present from the first one on), ties going to the lower cost of the whole alignment, auxiliary
   heads included. The output with the longest weight-layer path is tried first; when it reaches
   through all the rows, as in nearly every real model, it is the only one aligned. Without a spec the
   longest weight-layer path decides alone (`longest_output`).
2. Stages. Units that shrink the grid at least 2× in area (stride-2 convs and pools, reduction blocks,
   a global pool) are anchors, paired in order when both chains have as many, of the same kinds, and
   otherwise by a small alignment of the anchors alone (there are few: each one at least halves the
   grid); an anchor left unpaired is a layer of the stage around it. Nothing is paired
   across a pair of anchors, so a surplus block of one stage can never be paired with a module of
   another, and each stage is aligned on its own. One exception: when the stages on either side of an
   anchor differ in length by opposite amounts (a layer more before it, one fewer after), the reduction
   moved to another layer, and the two stages are aligned as one (a stride change on each layer).
3. Runs and exact anchors within a stage. Consecutive units with the same skeleton form runs; a run
   whose (skeleton, length) occurs exactly once on each side is paired element by element without any
   search (patience-diff anchoring: the longest chain of such pairs in order). Only the gaps between
   them are aligned by dynamic programming, in a band around the diagonal as wide as the gap's length
   difference plus a margin. The work is linear in depth for a subject that resembles the spec, and
   so is the memory: no table over the whole network is ever built.
4. The dynamic programme: equal layers cost nothing, a changed layer a little, a missing or extra
   layer a lot, a missing or extra weightless op almost nothing. Blocks match by their branches whatever
   their order (the assignment of branches with the least cost); one layer may stand for a block of one
   branch; a conv and a split (a 1×3 ‖ 3×1 pair) replace each other at a moderate cost. Costs and
   pairings are memoised by unit signature, so a run of 1,600 equal blocks is compared once.
5. Repeats. After pairing, a run of the reference and the subject units of one skeleton paired with it
   are re-paired element by element. A different count is one difference of the whole run (`Run`);
   surplus blocks are compared with the run's last block, the paper's block, and missing ones are not
   reported one by one.
6. Rows. Reference units know their spec row (from the built model's row modules). Each subject op
   takes the row of the reference unit it is paired with (a separable conv over two rows, as MobileNet's
   table writes it, is split at its pointwise conv), an unpaired op the row before it. That gives each
   row its subject ops: a RowSpan, measured and compared like a built row.
7. Auxiliary heads are the paths to the subject's other outputs; each spec aux row claims the head that
   reads the output of the row it hangs off.

Why: a single alignment of the whole main chain was quadratic in depth (GoogLeNet with 400 more modules
took 80 s and 5.7 GiB), could pair the surplus blocks of a 10/20/10 release with the stem's modules, and
had no way to say "10 blocks where the paper has 5". Grid reductions are where implementations agree
most (every port halves the grid at the same places), and runs are how papers write depth
("5 × Inception-resnet-A"). Nothing here depends on absolute spatial sizes: a subject traced at another
resolution aligns the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..measure import RowSpan
from ..trace import Trace
from .units import MERGES, Branch, Graph, Reader, Unit, entry, grid, layer_attrs

INDEL = 3.0        # a missing or extra layer or block
SKIP = 0.1         # a missing or extra weightless op
CHANGE = 0.5       # per changed attribute of a matched layer
CHANGE_CAP = 2.5   # a changed layer always costs less than a deletion plus an insertion
REPLACE = 1.0      # one construct written as another: conv / separable conv / split, block / single layer
INF = float("inf")
BAND = 8           # margin of the banded alignment around the gap's length difference
DP_CELLS = 2_000_000   # above this many cells a gap is paired in order instead (and the note says so)


# -- costs -----------------------------------------------------------------------------------------------

def merge_of(u: Unit) -> str | None:
    return "split" if u.kind == "split" else u.main.kind if u.kind == "block" else None


def branches_of(u: Unit) -> list[Branch]:
    """A block's or split's branches; a single layer reads as a block of one branch."""
    return u.branches if u.kind in MERGES else [Branch([u], u.skel, u.key)]


def split_channels(u: Unit) -> int:
    return sum(t.units[-1].last.attrs.get("out_channels", 0) for t in u.branches
               if t.units and t.units[-1].kind in ("conv", "sepconv"))


def out_channels(u: Unit) -> int:
    shape = u.main.out_shape if u.kind == "block" else u.last.out_shape
    return shape[1] if len(shape) > 1 else 0


def is_replacement(r: Unit, s: Unit) -> bool:
    """A conv on one side where the other has a split (one 3×3 for a 1×3 ‖ 3×1 pair), or the reverse."""
    return {r.kind, s.kind} in ({"conv", "split"}, {"sepconv", "split"})


class Matcher:
    """Alignment costs and pairings, memoised by unit signatures."""

    def __init__(self):
        self.memo: dict = {}

    def cost(self, r: Unit, s: Unit) -> float:
        key = (r.key, s.key)
        if key not in self.memo:
            self.memo[key] = self._cost(r, s)
        return self.memo[key]

    def _cost(self, r: Unit, s: Unit) -> float:
        if r.weightless or s.weightless:
            return 0.0 if r.weightless and s.weightless and r.skel == s.skel else INF
        if is_replacement(r, s):
            conv, split = (s, r) if r.kind == "split" else (r, s)
            return min(CHANGE_CAP, REPLACE + CHANGE * (conv.last.attrs["out_channels"] != split_channels(split)))
        if r.kind in MERGES or s.kind in MERGES:
            c = self.branches(r, s)[0] * 0.25 + (REPLACE if merge_of(r) != merge_of(s) else 0.0)
            if out_channels(r) != out_channels(s):
                c += CHANGE
            return min(CHANGE_CAP, c)
        kinds = {r.kind, s.kind}
        if kinds == {"conv", "linear"}:
            return 2.0      # a 1×1 conv as the classifier (TF-slim's logits), or the reverse
        ra, sa = layer_attrs(r), layer_attrs(s)
        size = CHANGE if grid(entry(r), "in") == grid(entry(s), "in") and grid(r.last) != grid(s.last) else 0
        if kinds == {"conv", "sepconv"}:
            return min(CHANGE_CAP, REPLACE + CHANGE * _diffs(ra, sa, ("kernel", "stride", "out")) + size)
        if r.kind != s.kind:
            return INF
        return min(CHANGE_CAP, CHANGE * _diffs(ra, sa, set(ra) | set(sa)) + size)

    def indel(self, u: Unit) -> float:
        if u.kind == "reshape":
            return 0.0      # x.view(n, -1) and torch.flatten say nothing about the architecture
        return SKIP if u.weightless else INDEL

    def branch_indel(self, b: Branch) -> float:
        return sum(self.indel(u) for u in b.units) if b.units else 1.0

    def sequence(self, R: list[Unit], S: list[Unit]):
        """-> (cost, pairs): the cheapest alignment of two short unit sequences (a branch's), by plain DP."""
        key = ("s", tuple(u.key for u in R), tuple(u.key for u in S))
        if key not in self.memo:
            self.memo[key] = _dp(R, S, self)
        cost, plan = self.memo[key]
        return cost, [(R[i] if i is not None else None, S[j] if j is not None else None) for i, j in plan]

    def branches(self, r: Unit, s: Unit):
        """-> (cost, [(ref branch | None, subject branch | None)]): branches matched whatever their order."""
        R, S = branches_of(r), branches_of(s)
        key = ("b", r.key, s.key)
        if key not in self.memo:
            self.memo[key] = self._assign(R, S)
        cost, plan = self.memo[key]
        pairs = [(R[i], S[j] if j is not None else None) for i, j in enumerate(plan)]
        taken = {j for j in plan if j is not None}
        return cost, pairs + [(None, S[j]) for j in range(len(S)) if j not in taken]

    def _assign(self, R: list[Branch], S: list[Branch]):
        C = [[self.sequence(a.units, b.units)[0] for b in S] for a in R]
        miss_r = [self.branch_indel(a) for a in R]
        miss_s = [self.branch_indel(b) for b in S]
        best: dict = {}

        def solve(i: int, used: int):
            # the least cost of assigning ref branches i.. given the subject branches already used
            if i == len(R):
                return sum(c for j, c in enumerate(miss_s) if not used >> j & 1), ()
            if (i, used) in best:
                return best[(i, used)]
            rest, plan = solve(i + 1, used)
            choice = (miss_r[i] + rest, (None,) + plan)
            for j in range(len(S)):
                if not used >> j & 1:
                    rest, plan = solve(i + 1, used | 1 << j)
                    if C[i][j] + rest < choice[0]:
                        choice = (C[i][j] + rest, (j,) + plan)
            best[(i, used)] = choice
            return choice

        return solve(0, 0)


def _diffs(a: dict, b: dict, keys) -> int:
    return sum(1 for k in keys if a.get(k) != b.get(k))


def _dp(R, S, m: Matcher, band: int | None = None):
    """-> (cost, plan of index pairs): sequence alignment, within |i - j| <= band when a band is given.

    At equal cost a pair is preferred to a deletion, a deletion to an insertion (so surplus units come
    last)."""
    n, k = len(R), len(S)
    d = max(n, k) if band is None else band
    rows, moves = [], []          # per i: costs and moves for j in lo(i)..hi(i)
    for i in range(n + 1):
        lo, hi = max(0, i - d), min(k, i + d)
        cost, move = [INF] * (hi - lo + 1), bytearray(hi - lo + 1)
        prev = rows[-1] if rows else None
        plo = max(0, i - 1 - d)
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                cost[0] = 0.0
                continue
            best, how = INF, 0
            if i and j and plo <= j - 1 <= plo + len(prev) - 1:
                best, how = prev[j - 1 - plo] + m.cost(R[i - 1], S[j - 1]), 1
            if i and plo <= j <= plo + len(prev) - 1:
                c = prev[j - plo] + m.indel(R[i - 1])
                if c < best:
                    best, how = c, 2
            if j > lo:
                c = cost[j - 1 - lo] + m.indel(S[j - 1])
                if c < best:
                    best, how = c, 3
            cost[j - lo], move[j - lo] = best, how
        rows.append(cost)
        moves.append((lo, move))
    plan, i, j = [], n, k
    while i or j:
        lo, move = moves[i]
        how = move[j - lo]
        if how == 1:
            plan.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == 2:
            plan.append((i - 1, None))
            i -= 1
        else:
            plan.append((None, j - 1))
            j -= 1
    lo = moves[n][0]
    return rows[n][k - lo], plan[::-1]


# -- one chain: stages, runs, gaps -------------------------------------------------------------------------

@dataclass(eq=False)
class Run:
    """A run of repeated blocks (one skeleton) and the subject units paired with it, when their counts differ."""

    ref: list
    sub: list


@dataclass
class Chain:
    cost: float
    pairs: list                 # (ref unit | None, subject unit | None) in order
    runs: list                  # Run
    quiet: set                  # ids of reference units missing only as part of a shorter run
    surplus: dict               # id of a subject unit beyond a run's count -> (its place in the run, run length)
    banded_out: int = 0         # gaps too large for the band, paired in order


def align_chain(R: list[Unit], S: list[Unit], m: Matcher) -> Chain:
    """Align two chains (a main chain, an auxiliary head) stage by stage."""
    out = Chain(0.0, [], [], set(), {})
    i0 = j0 = 0
    for i, j in _moved_anchors_dropped(R, S, _anchor_pairs(R, S, m)) + [(len(R), len(S))]:
        _align_stage(R[i0:i], S[j0:j], m, out)
        if i < len(R):
            out.cost += min(CHANGE_CAP, m.cost(R[i], S[j]))
            out.pairs.append((R[i], S[j]))
        i0, j0 = i + 1, j + 1
    out.pairs = _repeats(out)
    return out


def _moved_anchors_dropped(R, S, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The anchor pairs, without those whose stages on either side differ in layers by opposite amounts
    (one more layer before the reduction, one fewer after it): the reduction moved (a stride-2 on another
    layer than the paper's), and the two stages are aligned as one, so that the layers are paired with
    a stride change each instead of an extra layer in one stage and a missing one in the next. Weightless
    ops (a transform_input's scaling) do not count."""
    def layers(units, a, b):
        return sum(1 for u in units[a:b] if not u.weightless)

    out: list = []
    prev = (-1, -1)
    for k, (i, j) in enumerate(pairs):
        nxt = pairs[k + 1] if k + 1 < len(pairs) else None
        before = layers(S, prev[1] + 1, j) - layers(R, prev[0] + 1, i)
        if nxt is not None and before and before + layers(S, j + 1, nxt[1]) - layers(R, i + 1, nxt[0]) == 0:
            continue       # merged with the next stage; the previous kept anchor bounds it
        out.append((i, j))
        prev = (i, j)
    return out


def _anchor_pairs(R, S, m: Matcher) -> list[tuple[int, int]]:
    ra = [i for i, u in enumerate(R) if u.reduces]
    sa = [j for j, u in enumerate(S) if u.reduces]
    if len(ra) == len(sa) and all(R[i].kind == S[j].kind for i, j in zip(ra, sa)):
        return list(zip(ra, sa))
    # Otherwise align the anchors alone (few), by kind, channels and how much each one shrinks the grid:
    # a stride moved from the first conv to a later one is a reduction missing and one extra, not a conv
    # paired with a pool and that pool with a conv.
    A = [_Anchor(R[i], i) for i in ra]
    B = [_Anchor(S[j], j) for j in sa]
    _, plan = _dp(A, B, _AnchorCost(m))
    return [(A[a].index, B[b].index) for a, b in plan if a is not None and b is not None]


@dataclass(eq=False)
class _Anchor:
    unit: Unit
    index: int


class _AnchorCost:
    def __init__(self, m: Matcher):
        self.m = m

    def cost(self, a: _Anchor, b: _Anchor) -> float:
        c = min(CHANGE_CAP, self.m.cost(a.unit, b.unit))
        # a reduction of another kind (a strided conv for a pool) pairs where it stands, never by shifting
        # two anchors: the kind term makes two such pairs dearer than a missing and an extra anchor
        c += INDEL * (a.unit.kind != b.unit.kind) / 2
        return c + CHANGE * (out_channels(a.unit) != out_channels(b.unit)) + CHANGE * (a.unit.shrink != b.unit.shrink)

    def indel(self, a: _Anchor) -> float:
        return INDEL


def _runs(units: list[Unit]) -> list[tuple[int, int, int]]:
    """(skeleton, start, length) of each run of consecutive units with one skeleton."""
    out = []
    for i, u in enumerate(units):
        if out and out[-1][0] == u.skel:
            skel, start, n = out[-1]
            out[-1] = (skel, start, n + 1)
        else:
            out.append((u.skel, i, 1))
    return out


def _align_stage(R, S, m: Matcher, out: Chain) -> None:
    if any(u.reduces for u in R) or any(u.reduces for u in S):
        # two stages aligned as one around a reduction that moved: the layers next to it have exchanged
        # their strides, so exact anchors would pair a layer with its neighbour; the whole stretch is searched
        _align_gap(R, S, m, out)
        return
    rr, rs = _runs(R), _runs(S)
    count_r, count_s = {}, {}
    for skel, _, n in rr:
        count_r[(skel, n)] = count_r.get((skel, n), 0) + 1
    for skel, _, n in rs:
        count_s[(skel, n)] = count_s.get((skel, n), 0) + 1
    where_s = {(skel, n): b for b, (skel, _, n) in enumerate(rs)}
    layers = {u.skel for u in R if not u.weightless}   # weightless ops move about freely: never anchors
    candidates = [(a, where_s[(skel, n)]) for a, (skel, _, n) in enumerate(rr)
                  if skel in layers and count_r[(skel, n)] == 1 and count_s.get((skel, n)) == 1]
    i0 = j0 = 0
    for a, b in _increasing(candidates):
        _, i, n = rr[a]
        _, j, _ = rs[b]
        _align_gap(R[i0:i], S[j0:j], m, out)
        for k in range(n):
            out.cost += m.cost(R[i + k], S[j + k])
            out.pairs.append((R[i + k], S[j + k]))
        i0, j0 = i + n, j + n
    _align_gap(R[i0:], S[j0:], m, out)


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of pairs increasing in both coordinates (pairs come sorted by the first)."""
    tails, index, back = [], [], [None] * len(pairs)
    for k, (_, b) in enumerate(pairs):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] < b:
                lo = mid + 1
            else:
                hi = mid
        back[k] = index[lo - 1] if lo else None
        if lo == len(tails):
            tails.append(b)
            index.append(k)
        else:
            tails[lo], index[lo] = b, k
    chain, k = [], index[-1] if index else None
    while k is not None:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


def _align_gap(R, S, m: Matcher, out: Chain) -> None:
    if not R or not S:
        out.cost += sum(m.indel(u) for u in R) + sum(m.indel(u) for u in S)
        out.pairs += [(u, None) for u in R] + [(None, u) for u in S]
        return
    band = abs(len(R) - len(S)) + BAND
    if len(R) * (2 * band + 1) > DP_CELLS:
        # A very long gap with no exact anchor and very different lengths: pair in order.
        out.banded_out += 1
        n = min(len(R), len(S))
        out.pairs += list(zip(R[:n], S[:n])) + [(u, None) for u in R[n:]] + [(None, u) for u in S[n:]]
        out.cost += sum(min(CHANGE_CAP, m.cost(r, s)) for r, s in zip(R, S)) + INDEL * abs(len(R) - len(S))
        return
    cost, plan = _dp(R, S, m, band)
    out.cost += cost
    out.pairs += [(R[i] if i is not None else None, S[j] if j is not None else None) for i, j in plan]


def _repeats(chain: Chain) -> list:
    """Re-pair runs element by element; record the runs whose counts differ (see the module note, 5)."""
    pairs, out, i = chain.pairs, [], 0
    while i < len(pairs):
        end = _run_end(pairs, i)
        R = [r for r, _ in pairs[i:end] if r is not None]
        S = [s for _, s in pairs[i:end] if s is not None]
        if not R or not S:
            out += pairs[i:end]
            i = end
            continue
        n = min(len(R), len(S))
        out += list(zip(R[:n], S[:n])) + [(R[-1], s) for s in S[n:]] + [(r, None) for r in R[n:]]
        if len(R) != len(S):
            chain.runs.append(Run(R, S))
            chain.quiet |= {id(r) for r in R[n:]}
            chain.surplus.update({id(s): (n + 1 + k, len(S)) for k, s in enumerate(S[n:])})
        i = end
    return out


def _run_end(pairs, i: int) -> int:
    """The end of the run of pairs from i on: every reference unit of one skeleton, every subject unit of one."""
    skel_r = skel_s = None
    j = i
    while j < len(pairs):
        r, s = pairs[j]
        if (r is not None and (r.weightless or skel_r not in (None, r.skel))) or (
                s is not None and (s.weightless or skel_s not in (None, s.skel))):
            break
        skel_r = r.skel if r is not None else skel_r
        skel_s = s.skel if s is not None else skel_s
        j += 1
    return max(j, i + 1)


# -- the two networks ----------------------------------------------------------------------------------

@dataclass
class Head:
    """An auxiliary head: the path from a main-chain value to one of the model's other outputs."""

    attach: int                     # the main-chain value it reads
    out: int
    units: list
    ops: set                        # op indices
    name: str = ""                  # reference: its spec row


@dataclass
class Side:
    """One network read as units: the main chain and the auxiliary heads."""

    main: list                      # units of the main chain
    aux: list                       # Head
    out: int                        # the main output value


def read_reference(reader: Reader, trace: Trace, spans: dict, aux_rows: set[str]) -> tuple[Side, dict]:
    """The built network: main chain to outputs[0]; aux heads from the aux rows' spans. -> (side, op -> row)."""
    row_of = {op.index: name for name, span in spans.items() for op in span.ops}
    same = (lambda a, b: row_of.get(a.index) == row_of.get(b.index))
    g = Graph(trace)
    main_out = trace.outputs[0]
    region = g.region(trace.input_id, main_out)
    main = reader.chain(g, region, trace.input_id, main_out, same)
    aux = []
    for name in sorted(aux_rows):
        span = spans.get(name)
        if span is None or span.input is None or span.output is None:
            continue
        ops = g.region(span.input, span.output, {op.index for op in span.ops})
        aux.append(Head(span.input, span.output, reader.chain(g, ops, span.input, span.output, same), set(ops), name))
    return Side(main, aux, main_out), row_of


def output_candidates(trace: Trace, g: Graph) -> list[int]:
    """The model's distinct outputs computed from its input, longest weight-layer path first (ties: position)."""
    outs = [v for v in dict.fromkeys(trace.outputs) if g.producer.get(v) in g.reachable]
    return sorted(outs, key=lambda v: -trace.value_depth.get(v, 0))


def longest_output(trace: Trace) -> int | None:
    """Without a spec, the main output is the one with the longest weight-layer path (the first of equals)."""
    candidates = output_candidates(trace, Graph(trace))
    return candidates[0] if candidates else None


def read_subject(reader: Reader, trace: Trace, g: Graph, main_out: int) -> Side:
    """Someone's model with `main_out` as its output; its other outputs are auxiliary heads."""
    reachable = g.reachable
    region = g.region(trace.input_id, main_out)
    main_ops = set(region)
    aux, taken = [], set(main_ops)
    for v in output_candidates(trace, g):
        if v == main_out:
            continue
        ops = g.upstream([v], reachable - taken)
        if not ops:
            continue   # on the main path (a feature map returned beside the logits)
        taken |= ops
        feeds = {u for i in ops for u in trace.ops[i].inputs
                 if u == trace.input_id or g.producer.get(u) in main_ops}
        attach = max(feeds, key=lambda u: g.producer.get(u, -1)) if feeds else None
        ops = set(g.region(attach, v, ops)) if attach is not None else set()
        if ops:
            aux.append(Head(attach, v, reader.chain(g, sorted(ops), attach, v), ops))
    return Side(reader.chain(g, region, trace.input_id, main_out), aux, main_out)


# -- alignment -> row spans ----------------------------------------------------------------------------

@dataclass
class RowMatch:
    """What the subject has for one spec row."""

    name: str
    pairs: list = field(default_factory=list)     # (ref unit | None, subject unit | None)
    span: RowSpan | None = None
    present: bool = False                         # at least one of its reference units is paired


@dataclass
class Alignment:
    rows: dict                          # row name -> RowMatch (active, non-virtual rows in spec order)
    spans: dict                         # row name -> RowSpan of the subject
    extra_aux: list                     # (attach row | None, units) of subject heads no aux row claims
    aux_ops: set                        # subject op indices of every auxiliary head
    row_of: dict                        # reference op index -> row
    matcher: Matcher
    end_row: str | None                 # the last main row with a match (the model ends after it)
    host_of_aux: dict                   # aux row -> the main row whose output it reads
    main_out: int                       # the subject's main output value
    order: list                         # main rows with a module in the spec's build, in order
    runs: list                          # Run: repeated blocks whose counts differ
    quiet: set                          # ids of reference units not reported one by one (a shorter run)
    surplus: dict                       # id of a subject unit beyond a run's count -> (place, run length)
    cost: float = 0.0
    reach: int = 0                      # main rows present from the first one on
    paired_in_order: int = 0            # gaps too long for the banded alignment


def align(spec, ref_trace: Trace, ref_spans: dict, sub_trace: Trace) -> Alignment:
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    aux_rows = {r.name for r in active if r.aux}
    reader, matcher = Reader(), Matcher()
    ref, row_of = read_reference(reader, ref_trace, ref_spans, aux_rows)
    order = [r.name for r in active if not r.aux and r.name in ref_spans]   # rows with a module
    host_of_aux, previous = {}, None
    for r in active:
        if r.aux:
            host_of_aux[r.name] = previous
        elif r.name in order:
            previous = r.name
    # rows that make the reach: those with a layer (a row of LRN or dropout only may be missing anywhere)
    with_layers = {row_of.get(op.index) for u in ref.main if not u.weightless for op in u.ops}
    weighty = [name for name in order if name in with_layers]
    g = Graph(sub_trace)
    best = None
    for v in output_candidates(sub_trace, g) or [sub_trace.input_id]:
        sub = read_subject(reader, sub_trace, g, v)
        a = _align_with(ref, sub, row_of, order, host_of_aux, weighty, ref_spans, sub_trace, matcher)
        if best is None or (a.reach, -a.cost) > (best.reach, -best.cost):
            best = a
        if a.reach == len(weighty):
            break
    return best


def _align_with(ref: Side, sub: Side, row_of: dict, order: list, host_of_aux: dict, weighty: list,
                ref_spans: dict, sub_trace: Trace, matcher: Matcher) -> Alignment:
    chain = align_chain(ref.main, sub.main, matcher)
    rows = {name: RowMatch(name) for name in order}
    pieces: dict = {name: [] for name in order}      # row -> [(ops, input value, output value)]
    current = order[0] if order else None
    for r, s in chain.pairs:
        if r is not None:
            current = row_of.get(r.main.index, current)
        if current in rows:
            rows[current].pairs.append((r, s))
        if r is not None and s is not None:
            for op in r.ops:
                if row_of.get(op.index) in rows:
                    rows[row_of[op.index]].present = True
        if s is not None:
            for row, piece in _pieces(r, s, row_of, current):
                if row in pieces:
                    pieces[row].append(piece)
    repeats = _repeat_counts(chain.runs, row_of)
    value = sub_trace.input_id
    spans, end_row = {}, None
    for name in order:
        m = rows[name]
        if pieces[name]:
            ops = sorted({op.index for ops, _, _ in pieces[name] for op in ops})
            m.span = RowSpan([sub_trace.ops[i] for i in ops], pieces[name][0][1], pieces[name][-1][2],
                             _tags(m.pairs, ref_spans.get(name), matcher), repeats=repeats.get(name, 1))
            value = m.span.output
        else:
            m.span = RowSpan([], value, value, {}, repeats=repeats.get(name, 1) if name in repeats else 0)
        if m.present:
            end_row = name
    position = {name: k for k, name in enumerate(order)}
    for name in order:
        if rows[name].present or end_row is not None and position[name] <= position[end_row]:
            spans[name] = rows[name].span
    present = {name for name in order if rows[name].present}
    reach = next((k for k, name in enumerate(weighty) if name not in present), len(weighty))
    cost = chain.cost

    # auxiliary heads: each spec aux row claims the subject head that reads the output of the same row
    free = list(sub.aux)
    for head in ref.aux:
        host = host_of_aux.get(head.name)
        span = spans.get(host)
        reads = {v for op in span.ops for v in op.outputs} | {span.output} if span is not None else set()
        candidates = [h for h in free if h.attach in reads]
        if not candidates:
            rows[head.name] = RowMatch(head.name, [(u, None) for u in head.units])
            cost += sum(matcher.indel(u) for u in head.units)
            continue
        fits = {id(h): align_chain(head.units, h.units, matcher) for h in candidates}
        best = min(candidates, key=lambda h: (h.attach != span.output, fits[id(h)].cost))
        free.remove(best)
        fit = fits[id(best)]
        cost += fit.cost
        ops = [sub_trace.ops[i] for i in sorted(best.ops)]
        span = RowSpan(ops, best.attach, best.out, _tags(fit.pairs, ref_spans.get(head.name), matcher))
        rows[head.name] = RowMatch(head.name, fit.pairs, span, True)
        spans[head.name] = span
    cost += sum(matcher.indel(u) for h in free for u in h.units)
    host_of = {m.span.output: name for name, m in rows.items() if name in order and m.span is not None}
    extra = [(host_of.get(h.attach), h.units) for h in free]
    aux_ops = set().union(*(h.ops for h in sub.aux))
    return Alignment(rows, spans, extra, aux_ops, row_of, matcher, end_row, host_of_aux, sub.out, order,
                     chain.runs, chain.quiet, chain.surplus, cost, reach, chain.banded_out)


def _pieces(r: Unit | None, s: Unit, row_of: dict, current):
    """(row, (ops, input, output)) parts of a subject unit: a separable conv paired with one over two spec
    rows (depthwise in one, pointwise in the next) is split at its pointwise conv."""
    if r is not None and r.kind == "sepconv" and s.kind == "sepconv":
        first, second = row_of.get(r.main.index, current), row_of.get(r.point.index, current)
        if first != second:
            k = s.ops.index(s.point)
            return [(first, (s.ops[:k], s.inp, s.ops[k - 1].outputs[0])), (second, (s.ops[k:], s.ops[k - 1].outputs[0],
                                                                                   s.out))]
    return [(current, (s.ops, s.inp, s.out))]


def _repeat_counts(runs: list[Run], row_of: dict) -> dict:
    """Row -> how many of the subject's blocks it holds, where a run's count differs (RowSpan.repeats).

    The k-th block of the subject's run goes to the row of the build's k-th block (the surplus to the
    last row), so a row printed once, "×5", holding four of the subject's blocks gets 4."""
    out: dict = {}
    for run in runs:
        for r in run.ref:
            out.setdefault(row_of.get(r.main.index), 0)
        n = min(len(run.ref), len(run.sub))
        for k, s in enumerate(run.sub):
            name = row_of.get(run.ref[min(k, n - 1)].main.index)
            out[name] += 1
    return out


def _tags(pairs, ref_span: RowSpan | None, matcher: Matcher) -> dict:
    """Subject op index -> tag, carried over from the reference's tagged layers through the matches."""
    if ref_span is None or not ref_span.tags:
        return {}
    out: dict = {}
    for r, s in leaf_pairs(pairs, matcher):
        if r is None or s is None:
            continue
        tag = next((ref_span.tags[op.index] for op in (r.point, r.main) if op is not None and op.index in ref_span.tags),
                   None)
        if tag is None and r.kind == "split":
            tag = next((ref_span.tags[op.index] for op in r.ops if op.index in ref_span.tags), None)
        if tag is None:
            continue
        if s.kind == "split":   # both convs of a 1×3 ‖ 3×1 pair stand for the paper's one conv
            for op in s.ops:
                if op.kind == "conv":
                    out[op.index] = tag
        else:
            out[s.last.index] = tag
            if s.point is not None and r.point is not None and r.main.index in ref_span.tags:
                out[s.main.index] = ref_span.tags[r.main.index]
    return out


def leaf_pairs(pairs, matcher: Matcher):
    """Matched layers, descending into matched blocks and their matched branches (not into replacements)."""
    for r, s in pairs:
        if r is not None and s is not None and not is_replacement(r, s) and (r.kind in MERGES or s.kind in MERGES):
            for rb, sb in matcher.branches(r, s)[1]:
                if rb is not None and sb is not None:
                    yield from leaf_pairs(matcher.sequence(rb.units, sb.units)[1], matcher)
        else:
            yield r, s
