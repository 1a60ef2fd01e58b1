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


def parse_shape(text: str, need_channels: bool = True) -> Shape:
    s = _text(text)
    parts = [p.strip() for p in re.split(_TIMES, s)]
    if not all(re.fullmatch(r"\d+", p) for p in parts) or len(parts) not in ((1, 3) if need_channels else (2, 3)):
        want = "H×W×C such as 112×112×64, or C" if need_channels else "H×W or H×W×C"
        raise CellError(f"expected a size {want}, found {text!r}")
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


PARSERS = {
    "label": parse_label,
    "patch": parse_patch,
    "output_size": parse_shape,
    "input_size": parse_shape,
    "depth": parse_int,
    "filters": parse_int,
    "pool_proj": parse_pool_proj,
}


def parse_cell(kind: str, text: str, k_base: int = 1000):
    if kind == "count":
        return parse_count(text, k_base)
    return PARSERS[kind](text)


def format_int(n: float) -> str:
    return f"{int(round(n)):,}"
