"""A GoogLeNet written the way a tutorial might, unlike archcheck's builder, to test `verify --model`.

Different from the builder on purpose: other module names, no Sequential per row, branches computed in
another order (pool, 5x5, 1x1, 3x3) and concatenated in that order, functional and in-place ReLUs,
ceil-mode pools without padding, `torch.flatten` and `x.view`, dropout as a function, a dict output.
With the defaults it is Table 1 of the paper without the two LRN layers of Figure 3.

The options make the deviations the tests look for:
  k5=3            a 3×3 kernel in every 5×5 branch (torchvision's known bug, pytorch/vision#906)
  stem_reduce=0   no 1×1 reduce before the stem's 3×3 conv
  stop_after=4a   the network ends after inception (4a)
  batch_norm=1    batch norm after every conv (and convs without bias)
  lrn=1           the two LocalRespNorm layers of Figure 3
  extra=N         N more copies of inception (4b) after it (bench/bench.py builds specs to match)
  distinct=1      with extra: copies that differ from each other (see copy_config)
"""
import torch
import torch.nn.functional as F
from torch import nn


class Unit(nn.Module):
    """conv (+ batch norm), ReLU applied by the caller."""

    def __init__(self, cin, cout, k, stride=1, pad=0, bn=False):
        super().__init__()
        self.c = nn.Conv2d(cin, cout, k, stride, pad, bias=not bn)
        self.n = nn.BatchNorm2d(cout) if bn else None

    def forward(self, x):
        x = self.c(x)
        return self.n(x) if self.n is not None else x


class Mixed(nn.Module):
    def __init__(self, cin, c1, r3, c3, r5, c5, pp, k5=5, bn=False):
        super().__init__()
        self.proj = Unit(cin, pp, 1, bn=bn)
        self.b5_red = Unit(cin, r5, 1, bn=bn)
        self.b5 = Unit(r5, c5, k5, pad=k5 // 2, bn=bn)
        self.one = Unit(cin, c1, 1, bn=bn)
        self.b3_red = Unit(cin, r3, 1, bn=bn)
        self.b3 = Unit(r3, c3, 3, pad=1, bn=bn)

    def forward(self, x):
        p = F.relu(self.proj(F.max_pool2d(x, 3, 1, 1)))
        f = F.relu(self.b5(F.relu(self.b5_red(x))), inplace=True)
        o = torch.relu(self.one(x))
        t = F.relu(self.b3(F.relu(self.b3_red(x))))
        return torch.cat([p, f, o, t], dim=1)


class SideHead(nn.Module):
    def __init__(self, cin, classes, bn=False):
        super().__init__()
        self.squeeze = Unit(cin, 128, 1, bn=bn)
        self.hidden = nn.Linear(2048, 1024)
        self.out = nn.Linear(1024, classes)

    def forward(self, x):
        x = F.relu(self.squeeze(F.avg_pool2d(x, 5, 3)))
        x = F.relu(self.hidden(torch.flatten(x, 1)))
        return self.out(F.dropout(x, 0.7, self.training))


CONFIG = {  # name: (c1, r3, c3, r5, c5, pool proj), Table 1
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64), "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64), "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128), "5b": (384, 192, 384, 48, 128, 128),
}
POOL_BEFORE = {"4a", "5a"}


def copy_config(i: int, distinct: bool) -> tuple:
    """(c1, r3, c3, r5, c5, pool proj) of the i-th extra copy of 4b (i from 1): 4b itself, or with its two
    reduce widths varied so that no two copies are equal (their outputs stay 512 channels)."""
    c1, r3, c3, r5, c5, pp = CONFIG["4b"]
    if not distinct:
        return c1, r3, c3, r5, c5, pp
    return c1, 64 + i % 97, c3, 8 + i // 97, c5, pp


class GoogLeNetAlt(nn.Module):
    def __init__(self, classes=1000, k5=5, stem_reduce=True, stop_after=None, batch_norm=False, lrn=False, extra=0,
                 distinct=False):
        super().__init__()
        bn = bool(batch_norm)
        self.lrn = bool(lrn)
        self.stem7 = Unit(3, 64, 7, 2, 3, bn=bn)
        self.stem1 = Unit(64, 64, 1, bn=bn) if stem_reduce else None
        self.stem3 = Unit(64, 192, 3, pad=1, bn=bn)
        self.blocks = nn.ModuleDict()
        cin = 192
        self.stop = str(stop_after) if stop_after is not None else None
        for name, (c1, r3, c3, r5, c5, pp) in CONFIG.items():
            self.blocks[name] = Mixed(cin, c1, r3, c3, r5, c5, pp, k5=k5, bn=bn)
            cin = c1 + c3 + c5 + pp
            if name == "4b":
                for i in range(1, int(extra) + 1):
                    self.blocks[f"4b_copy{i}"] = Mixed(cin, *copy_config(i, bool(distinct)), k5=k5, bn=bn)
            if name == self.stop:
                break
        self.side_a = SideHead(512, classes, bn=bn)
        self.side_d = SideHead(528, classes, bn=bn) if "4d" in self.blocks else None
        self.classifier = nn.Linear(1024, classes) if self.stop is None else None

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem7(x)), 3, 2, ceil_mode=True)
        if self.lrn:
            x = F.local_response_norm(x, 5, 1e-4, 0.75)
        if self.stem1 is not None:
            x = F.relu(self.stem1(x), inplace=True)
        x = F.relu(self.stem3(x))
        if self.lrn:
            x = F.local_response_norm(x, 5, 1e-4, 0.75)
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        out = {}
        for name, block in self.blocks.items():
            if name in POOL_BEFORE:
                x = F.max_pool2d(x, 3, 2, ceil_mode=True)
            x = block(x)
            if self.training and name == "4a":
                out["aux_a"] = self.side_a(x)
            if self.training and name == "4d":
                out["aux_d"] = self.side_d(x)
        if self.classifier is None:
            return {"features": x, **out}
        x = F.adaptive_avg_pool2d(x, 1)
        x = F.dropout(x.view(x.size(0), -1), p=0.4, training=self.training)
        return {"logits": self.classifier(x), **out}


def googlenet_alt(**kwargs):
    """A factory, as model zoos write them."""
    return GoogLeNetAlt(**kwargs)
