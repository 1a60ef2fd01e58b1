"""Parsing of table cells exactly as papers print them.

Each parser returns a small value object, or raises CellError with what was expected. Rounding is
part of the value: "2.7K" stands for 2.65K..2.75K, so a count carries the half-width of its last
printed digit, in absolute units.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


class CellError(ValueError):
    pass


MAX_CELL = 200        # characters; the longest cell in the bundled specs has 24


def _text(text) -> str:
    """The cell's text, stripped; a cell longer than MAX_CELL is refused before any number in it is
    read (a 5,000-digit integer cannot be read, and 10^(190 digits) would never finish)."""
    s = str(text).strip()
    if len(s) > MAX_CELL:
        raise CellError(f"expected a cell as printed (at most {MAX_CELL} characters), found {len(s):,} characters")
    return s


_TIMES = "[×xX]"
_SCALES = {"": 1, "K": 1000, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}


@dataclass(frozen=True)
class Count:
    text: str
    value: float  # absolute (e.g. 2.7K with K=1024 -> 2764.8)
    half_unit: float  # half of the last printed digit, absolute

    def agrees(self, measured: float, tolerance: float) -> bool:
        diff = abs(measured - self.value)
        return diff <= self.half_unit + 1e-9 or (self.value and diff / abs(self.value) <= tolerance + 1e-12)


def parse_count(text: str, k_base: int = 1000) -> Count:
    """'2.7K', '34M', '1000K', '1.5G', '13.6·10^6', '360M', '12' -> Count."""
    s = _text(text).replace(",", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:[·*×x]\s*10\^(\d+)|([KMGBT]?))", s)
    if not m:
        raise CellError(f"expected a count such as 2.7K, 34M or 13.6·10^6, found {text!r}")
    digits, exp, suffix = m.group(1), m.group(2), m.group(3) or ""
    if exp is not None:
        if int(exp) > 100:
            raise CellError(f"expected a power of ten up to 10^100, found {text!r}")
        scale = 10 ** int(exp)
    else:
        scale = _SCALES[suffix]
        if suffix == "K":
            scale = k_base
        elif suffix and k_base == 1024:
            scale = 1024 ** " KMGT".index(suffix)
    number = Decimal(digits)
    last_digit = Decimal(1).scaleb(number.as_tuple().exponent)
    return Count(text=str(text), value=float(number * scale), half_unit=float(last_digit * scale / 2))


@dataclass(frozen=True)
class Shape:
    """A printed H×W×C size; `channels` may be None for sizes printed as H×W."""

    text: str
    height: int
    width: int
    channels: int | None


def parse_shape(text: str) -> Shape:
    """'112×112×64' (H×W×C), '56×56' (H×W: channels not printed, not compared), '1536' (C)."""
    s = _text(text)
    parts = [p.strip() for p in re.split(_TIMES, s)]
    if not all(re.fullmatch(r"\d+", p) for p in parts) or len(parts) not in (1, 2, 3):
        raise CellError(f"expected a size H×W×C such as 112×112×64, H×W such as 56×56, or C, found {text!r}")
    nums = [int(p) for p in parts]
    if min(nums) <= 0:
        raise CellError(f"sizes must be positive, found {text!r}")
    if len(nums) == 1:   # a vector of C features ("1536" after the average pooling), read as 1×1×C
        return Shape(s, 1, 1, nums[0])
    return Shape(s, nums[0], nums[1], nums[2] if len(nums) == 3 else None)


@dataclass(frozen=True)
class Patch:
    """'7×7/2' (kernel and stride), 'stride 2' (stride only), '8 × 8' (kernel only), or a remark."""

    text: str
    kernel: tuple[int, int] | None = None
    stride: int | None = None
    remark: bool = False


def parse_patch(text: str) -> Patch:
    s = _text(text)
    m = re.fullmatch(rf"(\d+)\s*{_TIMES}\s*(\d+)\s*(?:/\s*(\d+))?", s)
    if m:
        stride = int(m.group(3)) if m.group(3) else None
        return Patch(s, (int(m.group(1)), int(m.group(2))), stride)
    m = re.fullmatch(r"stride\s+(\d+)", s, flags=re.I)
    if m:
        return Patch(s, None, int(m.group(1)))
    if re.match(r"\d", s):
        raise CellError(f"expected a patch such as 7×7/2, 3×3 or 'stride 2', found {text!r}")
    return Patch(s, remark=True)


@dataclass(frozen=True)
class PoolProj:
    """'avg + 32', 'max + pass through', or a bare projection count '32' (pool type unstated)."""

    text: str
    pool: str | None
    proj: int | None  # None = pass through


def parse_pool_proj(text: str) -> PoolProj:
    s = _text(text)
    if re.fullmatch(r"\d+", s):
        return PoolProj(s, None, int(s))
    m = re.fullmatch(r"(avg|max)\s*\+\s*(\d+|pass\s*through)", s, flags=re.I)
    if not m:
        raise CellError(f"expected a pool cell such as 'avg + 32', 'max + pass through' or 32, found {text!r}")
    proj = None if m.group(2).lower().startswith("pass") else int(m.group(2))
    return PoolProj(s, m.group(1).lower(), proj)


def parse_int(text: str) -> int:
    s = _text(text)
    if not re.fullmatch(r"\d+", s):
        raise CellError(f"expected a whole number, found {text!r}")
    return int(s)


@dataclass(frozen=True)
class Label:
    """A type cell: 'inception (3a)', 'dropout (40%)' (a rate), '3×Inception' (a repeat count)."""

    text: str
    repeat: int | None = None
    rate: float | None = None


def parse_label(text: str) -> Label:
    s = _text(text)
    repeat = rate = None
    m = re.match(rf"(\d+)\s*{_TIMES}\s*(?!\d)\S", s)   # "3×Inception", not the kernel of "3×3 Conv"
    if m:
        repeat = int(m.group(1))
    m = re.search(r"\((\d+(?:\.\d+)?)\s*%\)", s)
    if m:
        rate = float(m.group(1)) / 100
    m = re.search(r"\(keep\s+(0?\.\d+|1(?:\.0+)?)\)", s, flags=re.I)   # "Dropout (keep 0.8)": drops 20%
    if m:
        rate = round(1 - float(m.group(1)), 12)
    return Label(s, repeat, rate)


# -- layer notations: conv3-64, [3×3, 64<br>3×3, 64] ×2, 3 × 3 × 32 dw, Conv dw / s2 -------------------------

@dataclass(frozen=True)
class LayerSpec:
    """One layer as a cell describes it; None is a detail the cell does not print (not compared)."""

    kind: str                          # conv | linear | pool | lrn
    kernel: tuple[int, int] | None = None
    stride: int | None = None
    in_channels: int | None = None
    out_channels: int | None = None
    depthwise: bool | None = None      # None: either; True: a depthwise conv ("dw"); False: a full conv
    pool: str | None = None            # max | avg (None: either)


@dataclass(frozen=True)
class Layers:
    """A cell that names the layers of a row (of each of its units), in order along its main path."""

    text: str
    layers: tuple[LayerSpec, ...] | None    # None: the cell prints only a stride, or is a remark
    repeat: int | None = None               # "[...] ×3", "5× Conv dw / s1": the number of units
    stride: int | None = None               # "s2" alone: the unit's largest stride
    bracket: bool = False                   # printed as a bracketed block
    remark: bool = False                    # text that describes nothing measurable ("Classifier")


def _positive(text, *numbers) -> None:
    if any(n <= 0 for n in numbers):
        raise CellError(f"sizes must be positive, found {text!r}")


def parse_layer(text: str) -> Layers:
    """VGG's notation: 'conv3-64' (3×3 conv, 64 filters), 'conv1-256', 'FC-4096', 'maxpool', 'LRN', 'soft-max'."""
    s = _text(text)
    low = " ".join(s.lower().split())
    if m := re.fullmatch(r"conv\s*(\d+)\s*-\s*(\d+)", low):
        k, n = int(m.group(1)), int(m.group(2))
        _positive(text, k, n)
        return Layers(s, (LayerSpec("conv", (k, k), out_channels=n),))
    if m := re.fullmatch(r"fc\s*-\s*(\d+)", low):
        _positive(text, int(m.group(1)))
        return Layers(s, (LayerSpec("linear", out_channels=int(m.group(1))),))
    if m := re.fullmatch(r"(max|avg|average)\s*-?\s*pool(?:ing)?", low):
        return Layers(s, (LayerSpec("pool", pool="max" if m.group(1) == "max" else "avg"),))
    if low == "lrn":
        return Layers(s, (LayerSpec("lrn"),))
    if re.fullmatch(r"soft-?max", low):
        return Layers(s, ())
    raise CellError(f"expected a layer such as conv3-64, FC-4096, maxpool, LRN or soft-max, found {text!r}")


# A global pool is a pool whose kernel covers its input: compared like any pool (kernel, if printed).
_POOL_WORDS = {"max pool": "max", "average pool": "avg", "avg pool": "avg", "global average pool": "avg",
               "global avg pool": "avg", "global max pool": "max"}


def parse_block(text: str) -> Layers:
    """ResNet's and DenseNet's notation: a bracketed block with its repeat count, '[3×3, 64<br>3×3, 64] ×2',
    '[1 × 1 conv<br>3 × 3 conv] × 6' (lines split by <br>, a line break or ';'), or one line of layers
    separated by commas: '7×7, 64, stride 2', '3×3 max pool, stride 2', 'average pool, 1000-d fc, softmax',
    '1000D fully-connected, softmax'. A kernel starts a conv unless a pool follows it; a bare number is
    the filters and 'stride S' the stride of the layer before it; softmax is not a layer."""
    s = _text(text)
    example = "a block such as '[3×3, 64<br>3×3, 64] ×2', '7×7, 64, stride 2' or '3×3 max pool, stride 2'"
    bracketed = re.fullmatch(rf"\[(.*)\]\s*(?:{_TIMES}\s*(\d+))?", s, flags=re.S)
    if bracketed:
        body, repeat = bracketed.group(1), int(bracketed.group(2)) if bracketed.group(2) else None
        if repeat == 0:
            raise CellError(f"expected a repeat count of at least 1 after the bracket, found {text!r}")
    elif "[" in s or "]" in s:
        raise CellError(f"expected {example}, found {text!r} (unbalanced brackets)")
    else:
        body, repeat = s, None
    layers: list[dict] = []
    for line in re.split(r"<br\s*/?>|\n|;", body, flags=re.I):
        for item in line.split(","):
            word = " ".join(item.lower().split())
            if not word:
                raise CellError(f"expected {example}, found {text!r} (an empty item)")
            if m := re.fullmatch(r"stride\s*(\d+)", word):
                if not layers or "stride" in layers[-1]:
                    raise CellError(f"expected a layer before 'stride', found {text!r}")
                _positive(text, int(m.group(1)))
                layers[-1]["stride"] = int(m.group(1))
            elif re.fullmatch(r"\d+", word):
                if not layers or layers[-1]["kind"] != "conv" or "out_channels" in layers[-1]:
                    raise CellError(f"expected a conv before the filter count {word}, found {text!r}")
                _positive(text, int(word))
                layers[-1]["out_channels"] = int(word)
            elif m := re.fullmatch(r"(?:(\d+)\s*-?\s*d\s+)?(?:fc|fully[- ]connected)", word):
                layer = {"kind": "linear"}
                if m.group(1):
                    _positive(text, int(m.group(1)))
                    layer["out_channels"] = int(m.group(1))
                layers.append(layer)
            elif word == "softmax":
                continue
            elif m := re.fullmatch(rf"(?:(\d+)\s*{_TIMES}\s*(\d+))?\s*(conv|{'|'.join(_POOL_WORDS)})?", word):
                if not m.group(1) and not m.group(3):
                    raise CellError(f"expected {example}, found {text!r}")
                layer = ({"kind": "conv"} if m.group(3) in (None, "conv") else
                         {"kind": "pool", "pool": _POOL_WORDS[m.group(3)]})
                if m.group(1):
                    _positive(text, int(m.group(1)), int(m.group(2)))
                    layer["kernel"] = (int(m.group(1)), int(m.group(2)))
                layers.append(layer)
            else:
                raise CellError(f"expected {example}, found {text!r}")
    if not layers:
        raise CellError(f"expected {example}, found {text!r} (no layer)")
    return Layers(s, tuple(LayerSpec(**layer) for layer in layers), repeat, bracket=bracketed is not None)


def parse_filter_shape(text: str) -> Layers:
    """MobileNet's notation: '3 × 3 × 3 × 32' (kernel, input and output channels), '3 × 3 × 32 dw' (a
    depthwise conv over 32 channels), 'Pool 7 × 7', '1024 × 1000' (a fully connected layer), or a remark
    without numbers ('Classifier')."""
    s = _text(text)
    t = _TIMES
    if m := re.fullmatch(rf"(\d+)\s*{t}\s*(\d+)\s*{t}\s*(\d+)\s*dw", s, flags=re.I):
        k1, k2, c = (int(g) for g in m.groups())
        _positive(text, k1, k2, c)
        return Layers(s, (LayerSpec("conv", (k1, k2), in_channels=c, out_channels=c, depthwise=True),))
    if m := re.fullmatch(rf"(\d+)\s*{t}\s*(\d+)\s*{t}\s*(\d+)\s*{t}\s*(\d+)", s):
        k1, k2, cin, cout = (int(g) for g in m.groups())
        _positive(text, k1, k2, cin, cout)
        return Layers(s, (LayerSpec("conv", (k1, k2), in_channels=cin, out_channels=cout, depthwise=False),))
    if m := re.fullmatch(rf"pool\s*(\d+)\s*{t}\s*(\d+)", s, flags=re.I):
        _positive(text, int(m.group(1)), int(m.group(2)))
        return Layers(s, (LayerSpec("pool", (int(m.group(1)), int(m.group(2)))),))
    if m := re.fullmatch(rf"(\d+)\s*{t}\s*(\d+)", s):
        _positive(text, int(m.group(1)), int(m.group(2)))
        return Layers(s, (LayerSpec("linear", in_channels=int(m.group(1)), out_channels=int(m.group(2))),))
    if not re.search(r"\d", s):
        return Layers(s, None, remark=True)
    raise CellError(f"expected a filter shape such as 3 × 3 × 3 × 32, 3 × 3 × 32 dw, Pool 7 × 7 or 1024 × 1000, "
                    f"found {text!r}")


_TYPES = {"conv": LayerSpec("conv", depthwise=False), "conv dw": LayerSpec("conv", depthwise=True),
          "avg pool": LayerSpec("pool", pool="avg"), "max pool": LayerSpec("pool", pool="max"),
          "fc": LayerSpec("linear"), "softmax": None}


def parse_type_stride(text: str) -> Layers:
    """MobileNet's notation: 'Conv / s2', 'Conv dw / s1', 'Avg Pool / s1', 'FC / s1', 'Softmax / s1' (not a
    layer), with an optional repeat count before it ('5× Conv dw / s1'); or a stride alone, 's2'."""
    s = _text(text)
    if m := re.fullmatch(r"s\s*(\d+)", s, flags=re.I):
        _positive(text, int(m.group(1)))
        return Layers(s, None, stride=int(m.group(1)))
    m = re.fullmatch(rf"(?:(\d+)\s*{_TIMES}\s*)?([a-z ]+?)\s*/\s*s\s*(\d+)", s, flags=re.I)
    kind = " ".join(m.group(2).lower().split()) if m else None
    if kind not in _TYPES:
        raise CellError(f"expected a type and stride such as Conv / s2, Conv dw / s1, Avg Pool / s1, FC / s1 or s2, "
                        f"found {text!r}")
    repeat, stride = (int(m.group(1)) if m.group(1) else None), int(m.group(3))
    if repeat == 0:
        raise CellError(f"expected a repeat count of at least 1, found {text!r}")
    _positive(text, stride)
    spec = _TYPES[kind]
    layers = () if spec is None else (LayerSpec(spec.kind, stride=stride, depthwise=spec.depthwise, pool=spec.pool),)
    return Layers(s, layers, repeat)


PARSERS = {
    "label": parse_label,
    "patch": parse_patch,
    "output_size": parse_shape,
    "input_size": parse_shape,
    "depth": parse_int,
    "filters": parse_int,
    "pool_proj": parse_pool_proj,
    "layer": parse_layer,
    "block": parse_block,
    "filter_shape": parse_filter_shape,
    "type_stride": parse_type_stride,
}


def parse_cell(kind: str, text: str, k_base: int = 1000):
    if kind == "count":
        return parse_count(text, k_base)
    return PARSERS[kind](text)


def format_int(n: float) -> str:
    return f"{int(round(n)):,}"
