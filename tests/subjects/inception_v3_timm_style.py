"""Inception-v3 in timm's style: a ConvNormAct module (conv, batch norm, act in one), blocks described by
tables and built in loops, `forward_features` / `forward_head`, a SelectAdaptivePool-like global pool that
also flattens, `drop_rate` applied functionally, and no auxiliary head in forward unless `aux_logits`
(then `forward` returns (logits, aux)). The 8×8 modules join their 1×3 ‖ 3×1 pairs inside each branch.

With the defaults it is the released network without the auxiliary classifier (the spec's `no-aux`
variant).
"""
import torch
import torch.nn.functional as F
from torch import nn


class ConvNormAct(nn.Sequential):
    def __init__(self, cin, cout, kernel_size, stride=1, padding=0):
        k = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
        pad = padding if padding != "same" else (k[0] // 2, k[1] // 2)
        super().__init__(nn.Conv2d(cin, cout, k, stride=stride, padding=pad, bias=False),
                         nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU(inplace=True))


def chain(cin, spec):
    """[(out, kernel, stride), ...] -> a Sequential of ConvNormAct, 'same'-padded where stride is 1."""
    layers = []
    for out, k, s in spec:
        layers.append(ConvNormAct(cin, out, k, stride=s, padding="same" if s == 1 else 0))
        cin = out
    return nn.Sequential(*layers)


class Mixed(nn.Module):
    """Branches as tables of convs; `pool` is ("avg", proj) or ("max", None); `splits` names branches whose
    last conv is a 1×3 ‖ 3×1 pair of that width."""

    def __init__(self, cin, branches, pool, splits=None, stride=1):
        super().__init__()
        self.paths = nn.ModuleList(chain(cin, b) for b in branches)
        self.splits = nn.ModuleDict()
        for index, width in (splits or {}).items():
            last = branches[index][-1][0]
            self.splits[str(index)] = nn.ModuleList([ConvNormAct(last, width, (1, 3), padding="same"),
                                                     ConvNormAct(last, width, (3, 1), padding="same")])
        self.pool_kind, proj = pool
        self.stride = stride
        self.proj = ConvNormAct(cin, proj, 1) if proj else None

    def forward(self, x):
        outs = []
        for i, path in enumerate(self.paths):
            y = path(x)
            if str(i) in self.splits:
                a, b = self.splits[str(i)]
                y = torch.cat([a(y), b(y)], dim=1)
            outs.append(y)
        if self.pool_kind == "avg":
            p = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            p = F.max_pool2d(x, kernel_size=3, stride=2)
        outs.append(self.proj(p) if self.proj is not None else p)
        return torch.cat(outs, dim=1)


def block_a(cin, pool_features):
    return Mixed(cin, [[(64, 1, 1)], [(48, 1, 1), (64, 5, 1)], [(64, 1, 1), (96, 3, 1), (96, 3, 1)]],
                 ("avg", pool_features))


def block_c(cin, c7):
    return Mixed(cin, [[(192, 1, 1)], [(c7, 1, 1), (c7, (1, 7), 1), (192, (7, 1), 1)],
                       [(c7, 1, 1), (c7, (7, 1), 1), (c7, (1, 7), 1), (c7, (7, 1), 1), (192, (1, 7), 1)]],
                 ("avg", 192))


def block_e(cin):
    return Mixed(cin, [[(320, 1, 1)], [(384, 1, 1)], [(448, 1, 1), (384, 3, 1)]], ("avg", 192),
                 splits={1: 384, 2: 384})


class AuxHead(nn.Module):
    def __init__(self, cin, num_classes):
        super().__init__()
        self.conv0 = ConvNormAct(cin, 128, 1)
        self.conv1 = ConvNormAct(128, 768, 5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.conv1(self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3)))
        return self.fc(torch.flatten(x, 1))


class InceptionV3(nn.Module):
    def __init__(self, num_classes=1000, in_chans=3, drop_rate=0.2, global_pool="avg", aux_logits=False):
        super().__init__()
        self.num_classes, self.drop_rate, self.aux_logits = num_classes, drop_rate, aux_logits
        self.stem = nn.Sequential(
            ConvNormAct(in_chans, 32, 3, stride=2), ConvNormAct(32, 32, 3), ConvNormAct(32, 64, 3, padding=1),
            nn.MaxPool2d(kernel_size=3, stride=2), ConvNormAct(64, 80, 1), ConvNormAct(80, 192, 3),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.stage35 = nn.Sequential(block_a(192, 32), block_a(256, 64), block_a(288, 64))
        self.reduce17 = Mixed(288, [[(384, 3, 2)], [(64, 1, 1), (96, 3, 1), (96, 3, 2)]], ("max", None))
        self.stage17 = nn.Sequential(*[block_c(768, c7) for c7 in (128, 160, 160, 192)])
        self.aux = AuxHead(768, num_classes) if aux_logits else None
        self.reduce8 = Mixed(768, [[(192, 1, 1), (320, 3, 2)],
                                   [(192, 1, 1), (192, (1, 7), 1), (192, (7, 1), 1), (192, 3, 2)]], ("max", None))
        self.stage8 = nn.Sequential(block_e(1280), block_e(2048))
        self.global_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1)) if global_pool == "avg" else None
        self.fc = nn.Linear(2048, num_classes)

    def forward_features(self, x):
        x = self.stage17(self.reduce17(self.stage35(self.stem(x))))
        aux = self.aux(x) if self.aux is not None and self.training else None
        return self.stage8(self.reduce8(x)), aux

    def forward_head(self, x):
        x = self.global_pool(x)
        if self.drop_rate > 0:
            x = F.dropout(x, p=float(self.drop_rate), training=self.training)
        return self.fc(x)

    def forward(self, x):
        x, aux = self.forward_features(x)
        x = self.forward_head(x)
        return (x, aux) if aux is not None else x
