"""Structural differences between a subject and the spec's build, in the paper's terms.

Walks an Alignment and says, per row and branch, which layer differs and how:
"inception_3a, 5x5 branch: convolution kernel 3×3, paper 5×5 (16 → 32 channels)". Kernels, strides,
channels, output sizes, pooling type and size, missing and extra layers, branches and rows are
`mismatch`. Normalization, activations, dropout rates, LRN and conv biases are `warning`, collected
over the whole network into one finding per kind of difference.
"""
from __future__ import annotations

from dataclasses import dataclass

from .align import Alignment, Unit, layer_attrs, spatial
from .compare import fmt_shape_hwc
from .report import MISMATCH, WARNING


@dataclass
class Diff:
    row: str
    where: str          # "5x5 branch", or "" for the row itself
    status: str         # mismatch | warning
    text: str
    paper: str = ""
    measured: str = ""
    key: tuple = ()     # warnings: what they are collected by
    layer: str = ""     # warnings: the layer they concern

    def message(self) -> str:
        return f"{self.row}, {self.where}: {self.text}" if self.where else f"{self.row}: {self.text}"


def _k(t) -> str:
    return "×".join(str(v) for v in t)


def _s(t) -> str:
    return str(t[0]) if len(set(t)) == 1 else ",".join(str(v) for v in t)


POOL_NAMES = {"max": "max pool", "avg": "average pool"}


def describe(u: Unit, channels: bool = True) -> str:
    """A unit in the paper's words: 'convolution 3×3/2 (64 → 192 channels)', 'max pool 3×3/2'."""
    op = u.main
    if u.kind in ("conv", "sepconv"):
        last = u.point or op
        k, s = op.attrs["kernel"], op.attrs["stride"]
        notes = [f"{op.attrs['in_channels']} → {last.attrs['out_channels']} channels"] if channels else []
        if u.kind == "sepconv":
            notes.append(f"depth multiplier {op.attrs['out_channels'] // max(1, op.attrs['in_channels'])}")
        elif op.attrs["groups"] > 1:
            notes.append(f"{op.attrs['groups']} groups")
        name = "separable convolution" if u.kind == "sepconv" else "convolution"
        stride = f"/{_s(s)}" if max(s) > 1 else ""
        return f"{name} {_k(k)}{stride}" + (f" ({', '.join(notes)})" if notes else "")
    if u.kind == "linear":
        features = op.in_shapes[0][-1] if op.in_shapes and op.in_shapes[0] else "?"
        return f"linear layer ({features} → {op.out_shape[-1]})" if channels else "linear layer"
    if u.kind == "pool":
        a = layer_attrs(u)
        name = POOL_NAMES.get(a["type"], f"{a['type']} pool")
        if a.get("global"):
            return f"global {name}"
        if "adaptive" in a:
            return f"adaptive {name} to {_k(a['adaptive'])}"
        return f"{name} {_k(a['kernel'])}/{_s(a['stride'])}"
    if u.kind == "block":
        merge = {"cat": "concatenation", "add": "sum"}.get(op.kind, op.name)
        return f"{merge} of {len(u.branches)} branches"
    if u.kind == "lrn":
        return "local response normalization"
    if u.kind == "dropout":
        return f"dropout ({op.attrs.get('p', 0):.0%})"
    if u.kind == "norm":
        return f"{op.attrs.get('norm', '')} norm"
    if u.kind == "scale":
        return f"scaling by {op.attrs.get('scalar')}"
    return op.name


def listing(units: list[Unit]) -> str:
    """'average pool 5×5/3 → convolution 1×1 (768 → 128 channels) → ...' (reshapes left out)."""
    return " → ".join(describe(u) for u in units if u.kind != "reshape") or "pass-through"


def unit_branch(u: Unit) -> str:
    """The spec's name of the branch a reference layer sits in, from its module path: 'inception_3a.branch_5x5.1.conv'
    -> '5x5 branch'; nested templates give '3x3dbl / 1x3 branch'."""
    parts = [p[len("branch_"):] for p in (u.point or u.main).module.split(".") if p.startswith("branch_")]
    return " / ".join(parts) + " branch" if parts else ""


def branch_name(units: list[Unit]) -> str:
    """The spec's name of a reference branch: that of its last layer that has one."""
    if not units:
        return "pass-through branch"
    return next((name for name in map(unit_branch, reversed(units)) if name), "")


class Differ:
    def __init__(self, alignment: Alignment):
        self.a = alignment
        self.m = alignment.matcher
        self.out: list[Diff] = []
        self.seen: set = set()   # (ref op, subject op) pairs already compared (branches may share a prefix)

    def add(self, row, where, status, text, paper="", measured="", key=(), layer=""):
        self.out.append(Diff(row, where, status, text, paper, measured, key, layer))

    # -- sequences and blocks ----------------------------------------------------------------------
    def pairs(self, row: str, pairs, where: str = ""):
        for r, s in pairs:
            if r is not None and r.kind != "block":
                where = unit_branch(r) or where   # a flattened branch's shared prefix keeps the outer name
            if r is not None and s is not None:
                if r.kind == "block" and s.kind == "block":
                    self.block(row, r, s, where)
                else:
                    key = (r.main.index, s.main.index)
                    if key not in self.seen:
                        self.seen.add(key)
                        self.layer(row, where, r, s)
            elif r is not None:
                self.missing(row, where, r)
            else:
                self.extra(row, where, s)

    def block(self, row: str, r: Unit, s: Unit, where: str):
        if r.main.kind != s.main.kind:
            self.add(row, where, MISMATCH, f"branches merged by {describe(s)}, paper by {describe(r)}",
                     describe(r), describe(s))
        for rb, sb in self.m.block(r, s)[1]:
            if rb is not None and sb is not None:
                self.pairs(row, self.m.sequence(rb.units, sb.units)[1], branch_name(rb.units) or where)
            elif rb is not None:
                name = branch_name(rb.units) or where
                self.add(row, name, MISMATCH, f"missing branch ({self.listing(rb.units)})", name, "missing")
            else:
                self.add(row, where, MISMATCH, f"extra branch ({self.listing(sb.units)})", "—", "extra branch")

    def listing(self, units: list[Unit]) -> str:
        return listing(units)

    def missing(self, row: str, where: str, r: Unit):
        if not r.weightless:
            self.add(row, where, MISMATCH, f"missing {describe(r)}", describe(r), "missing")
        elif r.kind in ("lrn", "dropout", "norm", "act", "scale"):
            self.add(row, where, WARNING, "", key=(r.kind, "-"), layer=describe(r))

    def extra(self, row: str, where: str, s: Unit):
        if not s.weightless:
            self.add(row, where, MISMATCH, f"extra {describe(s)}, not in the paper", "—", describe(s))
        elif s.kind in ("lrn", "dropout", "norm", "act", "scale"):
            self.add(row, where, WARNING, "", key=(s.kind, "+"), layer=describe(s))

    # -- one matched layer -------------------------------------------------------------------------
    def layer(self, row: str, where: str, r: Unit, s: Unit):
        if r.weightless:
            self.weightless(row, where, r, s)
            return
        if r.kind != s.kind:
            self.add(row, where, MISMATCH, f"{describe(s)} where the paper has a {describe(r)}", describe(r),
                     describe(s))
        else:
            ra, sa = layer_attrs(r), layer_attrs(s)
            if r.kind in ("conv", "sepconv"):
                self.conv(row, where, r, s, ra, sa)
            elif r.kind == "linear":
                if ra["out"] != sa["out"]:
                    self.add(row, where, MISMATCH, f"linear layer with {sa['out']} outputs, paper {ra['out']}",
                             str(ra["out"]), str(sa["out"]))
            elif r.kind == "pool":
                self.pool(row, where, r, s, ra, sa)
        self.decorations(row, where, r, s)

    def conv(self, row, where, r: Unit, s: Unit, ra: dict, sa: dict):
        name = f"convolution {_k(ra['kernel'])}"
        channels = f"({(s.main.attrs['in_channels'])} → {sa['out']} channels)"
        if ra["kernel"] != sa["kernel"]:
            self.add(row, where, MISMATCH, f"convolution kernel {_k(sa['kernel'])}, paper {_k(ra['kernel'])} "
                     f"{channels}", _k(ra["kernel"]), _k(sa["kernel"]))
            name = f"convolution {_k(sa['kernel'])}"
        if ra["stride"] != sa["stride"]:
            self.add(row, where, MISMATCH, f"{name} with stride {_s(sa['stride'])}, paper {_s(ra['stride'])}",
                     _s(ra["stride"]), _s(sa["stride"]))
        if ra["out"] != sa["out"]:
            self.add(row, where, MISMATCH, f"{name} with {sa['out']} output channels, paper {ra['out']}",
                     str(ra["out"]), str(sa["out"]))
        if ra.get("dilation") != sa.get("dilation"):
            self.add(row, where, MISMATCH, f"{name} with dilation {_s(sa['dilation'])}, paper "
                     f"{_s(ra['dilation'])}", _s(ra["dilation"]), _s(sa["dilation"]))
        if r.kind != s.kind:
            self.add(row, where, MISMATCH, f"{describe(s)} where the paper has a {describe(r)}",
                     describe(r, False), describe(s, False))
        elif ra.get("groups") != sa.get("groups") or ra.get("multiplier") != sa.get("multiplier"):
            self.add(row, where, MISMATCH, f"{describe(s)}, paper {describe(r)}", describe(r), describe(s))
        self.size(row, where, name, r, s, ra, sa)

    def pool(self, row, where, r: Unit, s: Unit, ra: dict, sa: dict):
        if ra["type"] != sa["type"]:
            self.add(row, where, MISMATCH, f"{describe(s)}, paper {describe(r)}", ra["type"], sa["type"])
            return
        shape_r = {k: v for k, v in ra.items() if k != "size"}
        shape_s = {k: v for k, v in sa.items() if k != "size"}
        if shape_r != shape_s:
            self.add(row, where, MISMATCH, f"{describe(s)}, paper {describe(r)}", describe(r), describe(s))
            return
        self.size(row, where, describe(r), r, s, ra, sa)

    def size(self, row, where, name, r: Unit, s: Unit, ra: dict, sa: dict):
        """An output grid that differs although the input grid agrees: padding or ceil mode."""
        if ra.get("size") == sa.get("size") or spatial(r.main, "in") != spatial(s.main, "in"):
            return
        how = []
        for label, attr in (("padding", "padding"), ("ceil mode", "ceil_mode")):
            pr, ps = r.main.attrs.get(attr), s.main.attrs.get(attr)
            if pr != ps:
                show = (lambda v: _s(v) if isinstance(v, tuple) else str(v).lower())
                how.append(f"{label} {show(ps)}, paper {show(pr)}")
        self.add(row, where, MISMATCH, f"{name} gives {_k(sa['size'])}, paper {_k(ra['size'])}"
                 + (f" ({'; '.join(how)})" if how else ""), _k(ra["size"]), _k(sa["size"]))

    def weightless(self, row, where, r: Unit, s: Unit):
        a, b = r.main.attrs, s.main.attrs
        if r.kind == "dropout" and abs(a.get("p", 0) - b.get("p", 0)) > 1e-9:
            self.add(row, where, WARNING, "", key=("dropout", f"{b.get('p', 0):.0%}", f"{a.get('p', 0):.0%}"),
                     layer=describe(r))
        elif r.kind == "lrn" and any(a.get(k) != b.get(k) for k in ("size", "alpha", "beta", "k")):
            self.add(row, where, WARNING, "", key=("lrn", "~"), layer=describe(r))
        elif r.kind == "act" and r.main.name.rstrip("_") != s.main.name.rstrip("_"):
            self.add(row, where, WARNING, "", key=("act", s.main.name.rstrip("_"), r.main.name.rstrip("_")),
                     layer=describe(r))
        elif r.kind == "scale" and a.get("scalar") != b.get("scalar"):
            self.add(row, where, WARNING, "", key=("scale", str(b.get("scalar")), str(a.get("scalar"))),
                     layer=describe(r))

    def decorations(self, row, where, r: Unit, s: Unit):
        layer = describe(r, False)
        for norm in sorted({op.attrs.get("norm") for op in r.deco + s.deco if op.kind == "norm"}):
            has_r = any(op.kind == "norm" and op.attrs.get("norm") == norm for op in r.deco)
            has_s = any(op.kind == "norm" and op.attrs.get("norm") == norm for op in s.deco)
            if has_r != has_s:
                self.add(row, where, WARNING, "", key=(f"{norm} norm", "+" if has_s else "-"), layer=layer)
        act_r = [op.name.rstrip("_") for op in r.deco if op.kind == "act"]
        act_s = [op.name.rstrip("_") for op in s.deco if op.kind == "act"]
        if bool(act_r) != bool(act_s):
            self.add(row, where, WARNING, "", key=("activation", "+" if act_s else "-"), layer=layer)
        elif act_r != act_s:
            self.add(row, where, WARNING, "", key=("act", "/".join(act_s), "/".join(act_r)), layer=layer)
        if r.kind in ("conv", "sepconv", "linear") and s.kind in ("conv", "sepconv", "linear"):
            bias_r = bool((r.point or r.main).attrs.get("bias"))
            bias_s = bool((s.point or s.main).attrs.get("bias"))
            if bias_r != bias_s:
                self.add(row, where, WARNING, "", key=("bias", "+" if bias_s else "-"), layer=layer)


WARNING_TEXT = {
    ("bias", "+"): "a bias in convolution/linear layers where the spec's build has none",
    ("bias", "-"): "no bias in convolution/linear layers where the spec's build has one",
    ("activation", "+"): "an activation after layers where the spec's build has none",
    ("activation", "-"): "no activation after layers where the spec's build has one",
    ("lrn", "-"): "no local response normalization where the spec's build has it",
    ("lrn", "+"): "local response normalization where the spec's build has none",
    ("lrn", "~"): "local response normalization with another size, alpha, beta or k than the spec's build",
    ("dropout", "-"): "no dropout where the spec's build has it",
    ("dropout", "+"): "dropout where the spec's build has none",
    ("norm", "-"): "no normalization layer where the spec's build has one",
    ("norm", "+"): "a normalization layer where the spec's build has none",
    ("act", "-"): "no activation where the spec's build has one",
    ("act", "+"): "an activation where the spec's build has none",
    ("scale", "-"): "no scaling where the spec's build has one",
    ("scale", "+"): "a scaling where the spec's build has none",
}


def warning_text(key: tuple) -> str:
    """What a collected warning is about, as a noun phrase."""
    if key in WARNING_TEXT:
        return WARNING_TEXT[key]
    kind = key[0]
    if kind.endswith(" norm"):
        return (f"{kind} after layers where the spec's build has none" if key[1] == "+"
                else f"no {kind} after layers where the spec's build has it")
    if kind == "dropout":
        return f"dropout {key[1]}, paper {key[2]}"
    if kind == "act":
        return f"activation {key[1]}, paper {key[2]}"
    if kind == "scale":
        return f"scaling by {key[1]}, paper {key[2]}"
    return " ".join(key)


def places(diffs: list[Diff]) -> str:
    """'conv1, conv2 (2), inception_3a (7)': rows in order with how many layers each."""
    counts: dict = {}
    for d in diffs:
        counts[d.row] = counts.get(d.row, 0) + 1
    return ", ".join(row if n == 1 else f"{row} ({n})" for row, n in counts.items())


def row_differences(spec, a: Alignment, ref_shapes: dict, sub_shapes: dict, ref_spans: dict) -> list[Diff]:
    """Every structural difference, rows in spec order (warnings not yet collected)."""
    differ = Differ(a)
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    order = a.order
    previous = None
    for row in active:
        if row.virtual:
            if previous is not None and previous not in a.spans:
                end = f"the model ends after {a.end_row}" if a.end_row else "nothing in the model matches"
                differ.add(row.name, "", MISMATCH, f"missing row: {end}", row.name, "missing")
            continue
        m = a.rows.get(row.name)
        if m is None:
            continue
        if not row.aux:
            previous = row.name
        if not m.present:
            differ.out += _missing_row(spec, row, m, a, order)
            continue
        pairs = m.pairs
        if order and row.name == order[0]:
            # weightless ops before the first matched layer are input preprocessing (x - mean) / std
            while pairs and pairs[0][0] is None and pairs[0][1].weightless:
                pairs = pairs[1:]
        before = len(differ.out)
        differ.pairs(row.name, pairs)
        own = any(d.status == MISMATCH for d in differ.out[before:])
        ref_span = ref_spans.get(row.name)
        if not own and not row.aux and ref_span is not None and m.span is not None:
            want, got = ref_shapes.get(ref_span.input), sub_shapes.get(m.span.input)
            if want and got and fmt_shape_hwc(want[1:]) != fmt_shape_hwc(got[1:]):   # 2048 = 1×1×2048
                differ.add(row.name, "", MISMATCH, f"input {fmt_shape_hwc(got[1:])}, paper "
                           f"{fmt_shape_hwc(want[1:])} (from the rows before)", fmt_shape_hwc(want[1:]),
                           fmt_shape_hwc(got[1:]))
    for host, units in a.extra_aux:
        on = f" on top of {host}" if host else ""
        differ.add(host or (order[0] if order else ""), "", MISMATCH,
                   f"extra auxiliary output{on} ({differ.listing(units)}), not in the spec's build",
                   "—", "auxiliary output")
    return differ.out


def _missing_row(spec, row, m, a: Alignment, order: list[str]) -> list[Diff]:
    units = [r for r, _ in m.pairs if r is not None]
    template = spec.templates.get(row.template) if row.template else None
    what = f"{row.template} block" if template is not None and template.merge != "sequence" else listing(units)
    if row.aux:
        host = a.host_of_aux.get(row.name)
        return [Diff(row.name, "", MISMATCH, f"missing auxiliary classifier{' on top of ' + host if host else ''} "
                                             f"({what})", what, "missing")]
    if row.name in order and (a.end_row is None or order.index(row.name) > order.index(a.end_row)):
        end = f"the model ends after {a.end_row}" if a.end_row else "nothing in the model matches"
        return [Diff(row.name, "", MISMATCH, f"missing row ({what}): {end}", what, "missing")]
    if units and all(u.weightless for u in units):
        return [Diff(row.name, "", WARNING, "", key=(u.kind, "-"), layer=describe(u)) for u in units
                if u.kind in ("lrn", "dropout", "norm", "act", "scale")]
    return [Diff(row.name, "", MISMATCH, f"missing row ({what})", what, "missing")]
