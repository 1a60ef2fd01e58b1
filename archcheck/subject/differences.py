"""Structural differences between a subject and the spec's build, in the paper's terms.

Walks an Alignment and says, per row and branch, which layer differs and how: "inception_3a, 5x5
branch: convolution 3×3, paper 5×5 (16 → 32 channels)". Kernels, strides, channels, output sizes,
pooling type and size, missing and extra layers, branches and rows, a layer written as a split
(1×3 ‖ 3×1) and the repeat count of a run of blocks are `mismatch`. Normalization (its presence and
eps), activations, dropout rates, LRN, scaling, conv biases and whether a padded average pool counts
its padding are `warning`. Each difference is about one place, the row (and branch) it names; what is
particular to that place (channel counts, a surplus block's number) is kept apart from the change
itself, so that groups.py can show the same change at several places as one line.

Values the spec's build takes from a release, not from a printed cell, are the spec's build's, not the
paper's: a dropout rate is "paper 40%" only where the row prints it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..compare import fmt_shape_hwc
from ..spec.expansion import repeat_count
from ..report import MISMATCH, WARNING
from .align import Alignment, is_replacement, merge_of, split_channels
from .units import Unit, entry, grid, grid_on, layer_attrs, scale_factor, spatial


@dataclass
class Diff:
    row: str
    where: str          # "5x5 branch", or "" for the row itself
    status: str         # mismatch | warning
    change: str         # what differs, said the same way wherever it differs ("convolution 3×3, paper 5×5")
    paper: str = ""
    measured: str = ""
    field: str = "structure"
    covers: tuple = ()  # more rows whose printed cells follow from this difference (a run's rows)
    summary: str = ""   # warnings: what every warning of this kind says, wherever it is (their group's line)
    notes: tuple = ()   # what is particular to this place: "16 → 32 channels", "the model's repeat 7 of 10"
    layer: str = ""     # the spec's layer it is about: its module path inside the row ("branch_5x5.1.conv")
    ordinal: int = 0    # that layer's place among the layers of its branch (1 = the first)

    @property
    def text(self) -> str:
        return self.change + "".join(f" ({n})" for n in self.notes)

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
        k, s = op.attrs["kernel"], op.attrs["stride"]
        notes = [f"{op.attrs['in_channels']} → {u.last.attrs['out_channels']} channels"] if channels else []
        if u.kind == "sepconv":
            notes.append(f"depth multiplier {op.attrs['out_channels'] // max(1, op.attrs['in_channels'])}")
        elif op.attrs.get("depthwise"):
            notes.append("depthwise")
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
    if u.kind == "split":
        return pair_text(u)
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
        return f"scaling by {_factor(op)}"
    return op.name


def pair_text(u: Unit, channels: bool = True) -> str:
    """A split in the paper's words: '1×3 ‖ 3×1 pair (64 + 64 = 128 channels)'."""
    parts = [" → ".join(_k(v.main.attrs["kernel"]) if v.kind in ("conv", "sepconv") else describe(v, False)
                        for v in b.units if v.kind != "reshape") or "pass-through" for b in u.branches]
    total = pair_channels(u)
    return f"{' ‖ '.join(parts)} {'pair' if len(parts) == 2 else 'split'}" + (f" ({total})" if total and channels else "")


def pair_channels(u: Unit) -> str:
    """'64 + 64 = 128 channels' (empty when a path does not end in a conv)."""
    widths = [b.units[-1].last.attrs.get("out_channels", 0) for b in u.branches
              if b.units and b.units[-1].kind in ("conv", "sepconv")]
    return f"{' + '.join(map(str, widths))} = {sum(widths)} channels" if len(widths) == len(u.branches) else ""


def listing(units: list[Unit]) -> str:
    """'average pool 5×5/3 → convolution 1×1 (768 → 128 channels) → ...' (reshapes left out)."""
    return " → ".join(describe(u) for u in units if u.kind != "reshape") or "pass-through"


def unit_branch(u: Unit) -> str:
    """The spec's name of the branch a reference layer sits in, from its module path: 'inception_3a.branch_5x5.1.conv'
    -> '5x5 branch'; nested templates give '3x3dbl / 1x3 branch'."""
    parts = [p[len("branch_"):] for p in u.last.module.split(".") if p.startswith("branch_")]
    return " / ".join(parts) + " branch" if parts else ""


def branch_name(units: list[Unit]) -> str:
    """The spec's name of a reference branch: that of its last layer that has one."""
    if not units:
        return "pass-through branch"
    for u in reversed(units):
        if u.kind == "split":   # its paths are named 'outer / inner branch' (nested templates): the outer name
            outer = branch_name(u.branches[0].units).rpartition(" / ")[0]
            name = f"{outer} branch" if outer else ""
        else:
            name = unit_branch(u)
        if name:
            return name
    return ""


# Warnings: (kind, change) -> (the text for one place, with {layer}; what several of them are about).
WARNINGS = {
    ("bias", "+"): ("{layer} with a bias where the spec's build has none",
                    "convolution/linear layers with a bias where the spec's build has none"),
    ("bias", "-"): ("{layer} without a bias where the spec's build has one",
                    "convolution/linear layers without a bias where the spec's build has one"),
    ("activation", "+"): ("an activation after the {layer} where the spec's build has none",
                          "an activation after layers where the spec's build has none"),
    ("activation", "-"): ("no activation after the {layer} where the spec's build has one",
                          "no activation after layers where the spec's build has one"),
    ("lrn", "-"): ("no local response normalization where the spec's build has it",) * 2,
    ("lrn", "+"): ("local response normalization where the spec's build has none",) * 2,
    ("lrn", "~"): ("local response normalization with another size, alpha, beta or k than the spec's build",) * 2,
    ("dropout", "-"): ("no {layer} where the spec's build has it", "no dropout where the spec's build has it"),
    ("dropout", "+"): ("{layer} where the spec's build has none", "dropout where the spec's build has none"),
    ("norm", "-"): ("no {layer} where the spec's build has one",
                    "no normalization layer where the spec's build has one"),
    ("norm", "+"): ("a {layer} where the spec's build has none", "a normalization layer where the spec's build has none"),
    ("act", "-"): ("no activation ({layer}) where the spec's build has one", "no activation where the spec's build has one"),
    ("act", "+"): ("an activation ({layer}) where the spec's build has none",
                   "an activation where the spec's build has none"),
    ("scale", "-"): ("no {layer} where the spec's build has it", "no scaling where the spec's build has one"),
    ("scale", "+"): ("{layer} where the spec's build has none", "a scaling where the spec's build has none"),
}


def warning_texts(key: tuple, layer: str) -> tuple[str, str]:
    """-> (the text for one place, what every warning of this kind says: their group's line).

    `key` is (kind, "+" | "-") for something present on one side only, or (kind, measured, the spec's
    build's) for a value that differs."""
    if key in WARNINGS:
        place, summary = WARNINGS[key]
        return place.format(layer=layer), summary
    kind, got, want = key[0], key[1], key[-1]
    if kind.endswith(" eps"):   # "batch norm eps"
        return (f"{kind} {got} after the {layer} where the spec's build has {want}",
                f"{kind} {got} where the spec's build has {want}")
    if kind.endswith(" norm"):
        if got == "+":
            return (f"{kind} after the {layer} where the spec's build has none",
                    f"{kind} after layers where the spec's build has none")
        return (f"no {kind} after the {layer} where the spec's build has it",
                f"no {kind} after layers where the spec's build has it")
    if kind == "act":   # another activation function after a layer
        return f"{got} after the {layer} where the spec's build has {want}", f"{got} where the spec's build has {want}"
    if kind == "count_include_pad":
        return (f"{layer} with count_include_pad={got} where the spec's build has {want}",
                f"padded average pools with count_include_pad={got} where the spec's build has {want}")
    text = {"dropout": f"dropout {got}, paper {want}",           # the row prints the rate
            "build dropout": f"dropout {got} where the spec's build has {want}",
            "function": f"{got} where the spec's build has {want}",
            "scale": f"scaling by {got} where the spec's build has {want}"}.get(kind, " ".join(key))
    return text, text


# Activation functions by the names PyTorch's modules give them (the tracer sees the functions).
ACTIVATIONS = {"relu": "ReLU", "relu6": "ReLU6", "gelu": "GELU", "silu": "SiLU", "selu": "SELU", "elu": "ELU",
               "celu": "CELU", "mish": "Mish", "leaky_relu": "LeakyReLU", "hardswish": "Hardswish",
               "hardsigmoid": "Hardsigmoid", "hardtanh": "Hardtanh", "sigmoid": "Sigmoid", "tanh": "Tanh",
               "softmax": "Softmax", "log_softmax": "LogSoftmax"}


def activation_name(op) -> str:
    """'ReLU6' for nn.ReLU6, F.relu6 and F.hardtanh(x, 0, 6) alike; 'ReLU' for F.relu, relu_, x.relu()."""
    name = op.name.rstrip("_")
    if name == "hardtanh" and (op.attrs.get("min_val"), op.attrs.get("max_val")) == (0.0, 6.0):
        return "ReLU6"
    return ACTIVATIONS.get(name, name)


def _eps(value) -> str:
    """0.001 -> '0.001', 1e-05 -> '1e-5'."""
    text = f"{value:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _pads(op) -> bool:
    return any(op.attrs.get("padding", ()))


def _inside_row(u: Unit, repeated: set) -> str:
    """A reference layer's module path inside its row's module: 'inception_3a.branch_5x5.1.conv' ->
    'branch_5x5.1.conv' (the same in every row built from one template); in a repeated row, inside its
    repetition: 'dense3.17.branch_new.2.conv' -> 'branch_new.2.conv'."""
    row, _, inside = u.last.module.partition(".")
    return inside.partition(".")[2] if row in repeated else inside


class Differ:
    def __init__(self, alignment: Alignment, printed_rates: set | None = None, repeated: set | None = None):
        self.a = alignment
        self.repeated = repeated or set()      # rows built as repetitions (modules row.0, row.1, ...)
        self.m = alignment.matcher
        self.printed_rates = printed_rates or set()   # rows whose printed cells state a dropout rate
        self.out: list[Diff] = []
        self.seen: set = set()   # (ref op, subject op) pairs already compared (branches may share a prefix)
        self.at: tuple = ("", 0)  # the reference layer being compared: (module path inside its row, ordinal)

    def add(self, row, where, status, change, paper="", measured="", notes=(), field="structure"):
        layer, ordinal = self.at
        self.out.append(Diff(row, where, status, change, paper, measured, notes=tuple(n for n in notes if n),
                             layer=layer, ordinal=ordinal, field=field))

    def warn(self, row, where, key: tuple, layer: str = ""):
        text, summary = warning_texts(key, layer)
        if key[1] in ("+", "-"):
            paper, measured = ("none", key[0]) if key[1] == "+" else (key[0], "none")
        else:
            paper, measured = str(key[-1]), str(key[1])
        self.out.append(Diff(row, where, WARNING, text, paper, measured, summary=summary, layer=self.at[0],
                             ordinal=self.at[1]))

    # -- sequences and blocks ----------------------------------------------------------------------
    def pairs(self, row: str, pairs, where: str = ""):
        outer, ordinal = self.at, 0
        for r, s in pairs:
            if r is not None and r.kind not in ("block", "split"):
                where = unit_branch(r) or where   # a flattened branch's shared prefix keeps the outer name
            if r is not None and not r.weightless:
                ordinal += 1
            self.at = (_inside_row(r, self.repeated), ordinal) if r is not None else ("", 0)
            if s is not None and id(s) in self.a.surplus:
                # a run's surplus block is compared with the run's last one: say only what that one did not
                said, before = {(d.row, d.where, d.text) for d in self.out}, len(self.out)
                self.pair(row, where, r, s)
                place, count = self.a.surplus[id(s)]
                self.out[before:] = [d for d in self.out[before:] if (d.row, d.where, d.text) not in said]
                for d in self.out[before:]:
                    d.notes += (f"the model's repeat {place} of {count}",)
            else:
                self.pair(row, where, r, s)
        self.at = outer

    def pair(self, row: str, where: str, r: Unit | None, s: Unit | None):
        if r is not None and s is not None:
            if is_replacement(r, s):
                self.replaced(row, where, r, s)
            elif r.kind in ("block", "split") or s.kind in ("block", "split"):
                self.block(row, r, s, where)
            elif (r.main.index, s.main.index) not in self.seen:
                self.seen.add((r.main.index, s.main.index))
                self.layer(row, where, r, s)
        elif r is not None:
            if id(r) not in self.a.quiet:
                self.missing(row, where, r)
        else:
            self.extra(row, where, s)

    def block(self, row: str, r: Unit, s: Unit, where: str):
        merge_r, merge_s = merge_of(r), merge_of(s)
        if merge_r and merge_s and merge_r != merge_s:
            self.add(row, where, MISMATCH, f"branches merged by {describe(s)}, paper by {describe(r)}",
                     describe(r), describe(s))
        for rb, sb in self.m.branches(r, s)[1]:
            if rb is not None and sb is not None:
                self.pairs(row, self.m.sequence(rb.units, sb.units)[1], branch_name(rb.units) or where)
            elif rb is not None:
                name = branch_name(rb.units) or where
                self.add(row, name, MISMATCH, f"missing branch ({listing(rb.units)})", name, "missing")
            else:
                self.add(row, where, MISMATCH, f"extra branch ({listing(sb.units)})", "—", "extra branch")
        if merge_r and merge_s:
            self.decorations(row, where, r, s, describe(r, False))

    def replaced(self, row: str, where: str, r: Unit, s: Unit):
        """A conv where the paper has a split, or a split where it has a conv (one finding, not one per layer)."""
        if s.kind == "split":
            total, paper = split_channels(s), r.last.attrs["out_channels"]
            note = f"paper {paper} channels" if total != paper else ""
            self.add(row, where, MISMATCH, f"the {_k(r.main.attrs['kernel'])} convolution replaced by a "
                     f"{pair_text(s, False)}", describe(r, False), pair_text(s), (pair_channels(s), note))
        else:
            total, got = split_channels(r), s.last.attrs["out_channels"]
            note = f"with {got} channels, paper {total}" if total != got else ""
            self.add(row, where, MISMATCH, f"the {pair_text(r)} replaced by a {_k(s.main.attrs['kernel'])} "
                     f"convolution", pair_text(r), describe(s, False), (note,))

    def missing(self, row: str, where: str, r: Unit):
        if not r.weightless:
            self.add(row, where, MISMATCH, f"missing {describe(r)}", describe(r), "missing")
        elif r.kind in ("lrn", "dropout", "norm", "act", "scale"):
            self.warn(row, where, (r.kind, "-"), describe(r))

    def extra(self, row: str, where: str, s: Unit):
        if not s.weightless:
            what = f"block ({describe(s)}: {' ‖ '.join(listing(b.units) for b in s.branches)})" if s.kind == "block" \
                else describe(s)
            self.add(row, where, MISMATCH, f"extra {what}, not in the paper", "—", describe(s))
        elif s.kind in ("lrn", "dropout", "norm", "act", "scale"):
            self.warn(row, where, (s.kind, "+"), describe(s))

    # -- one matched layer -------------------------------------------------------------------------
    def layer(self, row: str, where: str, r: Unit, s: Unit):
        if r.weightless:
            self.weightless(row, where, r, s)
            return
        if r.kind != s.kind and {r.kind, s.kind} != {"conv", "sepconv"}:
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
        self.decorations(row, where, r, s, describe(r))

    def conv(self, row, where, r: Unit, s: Unit, ra: dict, sa: dict):
        name = f"convolution {_k(ra['kernel'])}"
        channels = f"{s.main.attrs['in_channels']} → {sa['out']} channels"
        if ra["kernel"] != sa["kernel"]:
            self.add(row, where, MISMATCH, f"convolution {_k(sa['kernel'])}, paper {_k(ra['kernel'])}",
                     _k(ra["kernel"]), _k(sa["kernel"]), (channels,))
            name = f"convolution {_k(sa['kernel'])}"
        if ra["stride"] != sa["stride"]:
            self.add(row, where, MISMATCH, f"{name} with stride {_s(sa['stride'])}, paper {_s(ra['stride'])}",
                     _s(ra["stride"]), _s(sa["stride"]))
        if ra["out"] != sa["out"]:
            # a separable conv over two rows: its output channels are the pointwise row's
            out_row = self.a.row_of.get(r.last.index, row) if r.kind == "sepconv" else row
            self.add(out_row, where, MISMATCH, f"{name} with {sa['out']} output channels, paper {ra['out']}",
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
        if ra != sa:
            self.add(row, where, MISMATCH, f"{describe(s)}, paper {describe(r)}", describe(r), describe(s))
            return
        self.size(row, where, describe(r), r, s, ra, sa)
        if ra["type"] == "avg" and _pads(r.main) and _pads(s.main):
            # only a window over the padding is averaged differently: unpadded pools are alike either way
            want, got = r.main.attrs.get("count_include_pad", True), s.main.attrs.get("count_include_pad", True)
            if want != got:
                self.warn(row, where, ("count_include_pad", str(got), str(want)), describe(r))

    def size(self, row, where, name, r: Unit, s: Unit, ra: dict, sa: dict):
        """An output grid other than the paper's layer gives on the same input grid: padding or ceil mode.
        A subject traced at another size is held to what the paper's layer gives on the subject's input."""
        got, want = grid(s.last), grid(r.last)
        if grid(entry(r), "in") != grid(entry(s), "in"):
            if ra.get("global") or "adaptive" in ra or any(ra.get(k) != sa.get(k) for k in ("kernel", "stride")):
                return      # a pool over the whole grid follows it; another kernel or stride is said already
            want = grid_on(r.main, spatial(entry(s), "in"))
        if want is None or got == want:
            return
        how = []
        for label, attr in (("padding", "padding"), ("ceil mode", "ceil_mode")):
            pr, ps = r.main.attrs.get(attr), s.main.attrs.get(attr)
            if pr != ps:
                show = (lambda v: _s(v) if isinstance(v, tuple) else str(v).lower())
                how.append(f"{label} {show(ps)}, paper {show(pr)}")
        on = "" if grid(entry(r), "in") == grid(entry(s), "in") else f" from {_k(spatial(entry(s), 'in'))}"
        got, want = _k(got) or "1×1", _k(want) or "1×1"
        self.add(row, where, MISMATCH, f"{name} gives {got}{on}, paper {want}" + (f" ({'; '.join(how)})" if how else ""),
                 want, got)

    def weightless(self, row, where, r: Unit, s: Unit):
        a, b = r.main.attrs, s.main.attrs
        if r.kind == "dropout" and abs(a.get("p", 0) - b.get("p", 0)) > 1e-9:
            kind = "dropout" if row in self.printed_rates else "build dropout"
            self.warn(row, where, (kind, f"{b.get('p', 0):.0%}", f"{a.get('p', 0):.0%}"))
        elif r.kind == "lrn" and any(a.get(k) != b.get(k) for k in ("size", "alpha", "beta", "k")):
            self.warn(row, where, ("lrn", "~"))
        elif r.kind == "act" and activation_name(r.main) != activation_name(s.main):
            self.warn(row, where, ("function", activation_name(s.main), activation_name(r.main)))
        elif r.kind == "scale" and not _same_factor(scale_factor(r.main), scale_factor(s.main)):
            self.warn(row, where, ("scale", _factor(s.main), _factor(r.main)))
        elif r.kind == "norm":
            self.eps(row, where, r.main, s.main, describe(r))

    def eps(self, row, where, norm_r, norm_s, layer: str):
        """The epsilon of one normalization on both sides (TF ports use 1e-3 where PyTorch's default is 1e-5)."""
        want, got = norm_r.attrs.get("eps"), norm_s.attrs.get("eps")
        if want is not None and got is not None and abs(got - want) > 1e-9 * max(abs(want), 1e-12):
            self.warn(row, where, (f"{norm_r.attrs.get('norm')} norm eps", _eps(got), _eps(want)), layer)

    def decorations(self, row, where, r: Unit, s: Unit, layer: str):
        self.deco_lists(row, where, r.deco, s.deco, layer)
        if r.kind == "sepconv" and s.kind == "sepconv":
            self.deco_lists(row, where, r.mid, s.mid, f"depthwise part of the {layer}")
        if r.kind in ("conv", "sepconv", "linear") and s.kind in ("conv", "sepconv", "linear"):
            bias_r, bias_s = bool(r.last.attrs.get("bias")), bool(s.last.attrs.get("bias"))
            if bias_r != bias_s:
                self.warn(row, where, ("bias", "+" if bias_s else "-"), layer)

    def deco_lists(self, row, where, deco_r: list, deco_s: list, layer: str):
        for norm in sorted({op.attrs.get("norm") for op in deco_r + deco_s if op.kind == "norm"}):
            has_r = next((op for op in deco_r if op.kind == "norm" and op.attrs.get("norm") == norm), None)
            has_s = next((op for op in deco_s if op.kind == "norm" and op.attrs.get("norm") == norm), None)
            if (has_r is None) != (has_s is None):
                self.warn(row, where, (f"{norm} norm", "+" if has_s else "-"), layer)
            elif has_r is not None:
                self.eps(row, where, has_r, has_s, layer)
        act_r = [activation_name(op) for op in deco_r if op.kind == "act"]
        act_s = [activation_name(op) for op in deco_s if op.kind == "act"]
        if bool(act_r) != bool(act_s):
            self.warn(row, where, ("activation", "+" if act_s else "-"), layer)
        elif act_r != act_s:
            self.warn(row, where, ("act", "/".join(act_s), "/".join(act_r)), layer)


def row_differences(spec, a: Alignment, ref_shapes: dict, sub_shapes: dict, ref_spans: dict,
                    same_grid: bool = True) -> list[Diff]:
    """Every structural difference, rows in spec order, each place once. A subject traced at another
    spatial size (`same_grid` False) has its rows' inputs compared by channels alone."""
    differ = Differ(a, printed_rates(spec), {r.name for r in spec.rows if r.repeat is not None})
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    order = a.order
    position = {name: k for k, name in enumerate(order)}
    beyond = {name for name in order if a.end_row is None or position[name] > position[a.end_row]}
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
            refs = [r for r, _ in m.pairs if r is not None]
            if not (refs and all(id(r) in a.quiet for r in refs)):   # a shorter run says it once
                found = _missing_row(spec, row, m, a, row.name in beyond, differ)
                differ.out += found
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
            seen = fmt_shape_hwc if same_grid else (lambda shape: shape[:1])   # 2048 = 1×1×2048
            if want and got and seen(want[1:]) != seen(got[1:]):
                differ.add(row.name, "", MISMATCH, f"input {fmt_shape_hwc(got[1:])}, paper "
                           f"{fmt_shape_hwc(want[1:])} (from the rows before)", fmt_shape_hwc(want[1:]),
                           fmt_shape_hwc(got[1:]), field="input")   # a consequence of an earlier difference
    for host, units in a.extra_aux:
        on = f" on top of {host}" if host else ""
        differ.add(host or (order[0] if order else ""), "", MISMATCH,
                   f"extra auxiliary output{on} ({listing(units)}), not in the spec's build",
                   "—", "auxiliary output")
    return differ.out + run_differences(spec, a)


def run_differences(spec, a: Alignment) -> list[Diff]:
    """One mismatch per printed row whose runs of repeated blocks have other counts than the build's.

    The model is checked against the build asked for: `paper` is the build's count, `measured` the
    subject's; where the table prints another count ("5 x Inception-resnet-A", a release building 10),
    the message says so, so that a model written from the table learns why it differs."""
    rows = {r.name: r for r in spec.rows}
    active = [r for r in spec.rows if all(c.holds(spec.options) for c in r.when)]
    hosts: dict = {}          # printed row (or a run's first row) -> what its runs add up to
    for run in a.runs:
        names = list(dict.fromkeys(a.row_of.get(r.main.index) for r in run.ref))
        printed = {rows[n].paper_row for n in names if n in rows}
        if len(printed) == 1 and None not in printed:
            host = printed.pop()        # one printed row standing for the run ("5 x Inception-resnet-A")
        else:
            # A run over printed rows of their own (VGG's conv3-256 rows): the first row the model lacks,
            # or the last row when it has more.
            host = names[min(len(run.sub), len(names) - 1)]
        template = spec.templates.get(rows[names[0]].template) if names[0] in rows else None
        noun = (block_noun(template.name, plural=True) if template is not None and template.merge != "sequence"
                else f"{describe(run.ref[0], False)} layers")
        entry = hosts.setdefault(host, {"names": [], "delta": 0, "ref": 0, "noun": noun})
        entry["names"] += [n for n in names if n not in entry["names"]]
        entry["delta"] += len(run.sub) - len(run.ref)
        entry["ref"] += len(run.ref)
    out = []
    for host, e in hosts.items():
        # what the build has for the printed row: its rows, a repeated row ("conv4_rest", ×5) counted as its repetitions
        build = sum(repeat_count(r, spec.options) or 1 for r in active if r.paper_row == host and not r.transition)
        build = build or e["ref"]
        printed = printed_repeats(spec, host)
        measured = build + e["delta"]
        where = (f"the paper has {build}" if printed in (None, build) else
                 f"the spec's build has {build} (the paper prints {printed})")
        out.append(Diff(host, "", MISMATCH, f"{measured} {e['noun']} where {where}", str(build),
                        str(measured), field="repeats", covers=tuple(e["names"])))
    return out


def _factor(op) -> str:
    f = scale_factor(op)
    return f"{f:.6g}" if f is not None else "a tensor (a parameter or buffer)"


def _same_factor(a, b) -> bool:
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def block_noun(template: str, plural: bool = False) -> str:
    """`inception_b` -> "inception_b block(s)" (the spec's template name); `block` -> "block(s)"."""
    one = template if template.endswith("block") else f"{template} block"
    return one + "s" if plural else one


def printed_rates(spec) -> set[str]:
    """The rows whose printed cells state a dropout rate ("dropout (40%)", "Dropout (keep 0.8)")."""
    from ..spec.cells import parse_cell

    return {row.name for row in spec.rows if row.paper is not None and any(
        col.kind == "label" and text.strip() and parse_cell(col.kind, text, col.k).rate is not None
        for col, text in zip(spec.columns, row.paper))}


def printed_repeats(spec, name: str) -> int | None:
    """The repeat count a printed row's type cell states ("3×Inception" -> 3), if it states one."""
    from ..spec.cells import parse_cell

    row = next((r for r in spec.rows if r.name == name), None)
    if row is None or row.paper is None:
        return None
    for col, text in zip(spec.columns, row.paper):
        if col.kind == "label" and text.strip():
            return parse_cell(col.kind, text, col.k).repeat
    return None


def _missing_row(spec, row, m, a: Alignment, after_the_end: bool, differ: Differ) -> list[Diff]:
    units = [r for r, _ in m.pairs if r is not None]
    template = spec.templates.get(row.template) if row.template else None
    n = repeat_count(row, spec.options) or 1
    what = ((f"{n} " if n > 1 else "") + block_noun(row.template, n > 1)
            if template is not None and template.merge != "sequence" else listing(units))
    if row.aux:
        host = a.host_of_aux.get(row.name)
        return [Diff(row.name, "", MISMATCH, f"missing auxiliary classifier{' on top of ' + host if host else ''} "
                                             f"({what})", what, "missing")]
    if after_the_end:
        end = f"the model ends after {a.end_row}" if a.end_row else "nothing in the model matches"
        return [Diff(row.name, "", MISMATCH, f"missing row ({what}): {end}", what, "missing")]
    if units and all(u.weightless for u in units):
        for u in units:
            differ.missing(row.name, "", u)   # warnings, added where they are found
        return []
    return [Diff(row.name, "", MISMATCH, f"missing row ({what})", what, "missing")]
