"""GoogLeNet as a notebook writes it: nn.Sequential soup built by helper functions, inception modules as
ModuleLists of branch Sequentials joined in a loop, a [main, aux1, aux2] list returned in training, and
operations that change nothing: F.avg_pool2d(x, 7) on the 7×7 map (stride 7, one window: the paper's
"7×7/1"), a second adaptive pool on the pooled 1×1 map, `x * 1.0`, and a view of an already flat tensor.

Options make the deviations the tests look for:
  split="4b" | "all"   the 3×3 branch of that module (or every module) written as a 1×1 reduce feeding a
                       1×3 ‖ 3×1 pair of half the width each, concatenated (Inception-v3's expanded bank)
  repeat="4b:2"        that module written twice in a row (a run of two identical blocks)
"""
import torch
import torch.nn.functional as F
from torch import nn

TABLE = [("3a", 192, 64, 96, 128, 16, 32, 32), ("3b", 256, 128, 128, 192, 32, 96, 64), "M",
         ("4a", 480, 192, 96, 208, 16, 48, 64), ("4b", 512, 160, 112, 224, 24, 64, 64),
         ("4c", 512, 128, 128, 256, 24, 64, 64), ("4d", 512, 112, 144, 288, 32, 64, 64),
         ("4e", 528, 256, 160, 320, 32, 128, 128), "M",
         ("5a", 832, 256, 160, 320, 32, 128, 128), ("5b", 832, 384, 192, 384, 48, 128, 128)]


def cbr(cin, cout, k=1, s=1, p=0):
    return [nn.Conv2d(cin, cout, k, s, p), nn.ReLU(inplace=True)]


def branch_3x3(cin, r3, c3, split):
    if not split:
        return nn.Sequential(*cbr(cin, r3), *cbr(r3, c3, 3, p=1))
    half = c3 // 2
    return nn.ModuleList([nn.Sequential(*cbr(cin, r3)),
                          nn.Sequential(*cbr(r3, half, (1, 3), p=(0, 1))),
                          nn.Sequential(*cbr(r3, half, (3, 1), p=(1, 0)))])


def inception(cin, c1, r3, c3, r5, c5, pp, split=False):
    return nn.ModuleList([
        nn.Sequential(*cbr(cin, c1)),
        branch_3x3(cin, r3, c3, split),
        nn.Sequential(*cbr(cin, r5), *cbr(r5, c5, 5, p=2)),
        nn.Sequential(nn.MaxPool2d(3, 1, 1), *cbr(cin, pp)),
    ])


def run_inception(block, x):
    outs = []
    for b in block:
        if isinstance(b, nn.ModuleList):   # 1×1 reduce, then 1×3 ‖ 3×1 on the same reduced tensor
            r = b[0](x)
            outs += [b[1](r), b[2](r)]
        else:
            outs.append(b(x))
    return torch.cat(outs, dim=1)


def aux_head(cin, classes):
    return nn.Sequential(nn.AvgPool2d(5, 3), *cbr(cin, 128), nn.Flatten(), nn.Linear(2048, 1024), nn.ReLU(True),
                         nn.Dropout(0.7), nn.Linear(1024, classes))


class NotebookGoogLeNet(nn.Module):
    def __init__(self, classes=1000, split=None, repeat=None):
        super().__init__()
        self.stem = nn.Sequential(*cbr(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, ceil_mode=True), nn.LocalResponseNorm(5),
                                  *cbr(64, 64), *cbr(64, 192, 3, p=1), nn.LocalResponseNorm(5),
                                  nn.MaxPool2d(3, 2, ceil_mode=True))
        twice = dict([str(repeat).split(":")]) if repeat else {}
        self.names, self.body = [], nn.ModuleList()
        for entry in TABLE:
            if entry == "M":
                self.names.append("M")
                self.body.append(nn.MaxPool2d(3, 2, ceil_mode=True))
                continue
            name, *widths = entry
            for _ in range(int(twice.get(name, 1))):
                self.names.append(name)
                cin = widths[0]
                if len(self.body) and self.names[-2:-1] == [name]:
                    cin = widths[1] + widths[3] + widths[5] + widths[6]   # the copy takes its twin's output
                self.body.append(inception(cin, *widths[1:], split=split in (name, "all")))
        self.aux1, self.aux2 = aux_head(512, classes), aux_head(528, classes)
        self.head = nn.Sequential(nn.Dropout(0.4), nn.Linear(1024, classes))

    def forward(self, x):
        x = self.stem(x)
        aux = []
        for name, block in zip(self.names, self.body):
            x = block(x) if name == "M" else run_inception(block, x)
            if self.training and name in ("4a", "4d") and len(aux) < ("4a", "4d").index(name) + 1:
                aux.append((self.aux1 if name == "4a" else self.aux2)(x))
        x = F.avg_pool2d(x, 7)                 # 7×7 -> 1×1: the stride (7) of a single window changes nothing
        x = F.adaptive_avg_pool2d(x, 1)        # again, on the 1×1 map: an identity
        x = torch.flatten(x, 1) * 1.0
        x = x.view(x.size(0), -1)
        x = self.head(x)
        return [x, *aux] if self.training else x
