"""The network of tests/fixtures/closest.yaml written three ways, as real code writes it, with options that
make the differences its declared builds disagree about.

- `SmallNet`: tutorial style: modules assigned one by one, `nn.Sequential` branches, `F.relu` in forward,
  a tuple (main, aux) out of the forward in training.
- `SmallNetTV`: torchvision style: a `BasicConv2d` (conv without bias, batch norm, ReLU) passed as
  `conv_block`, `aux_logits`, `_forward`, a namedtuple output, weights initialized in a loop.
- `small_net_functional`: a factory of a module that keeps its weights in a ParameterDict and calls
  F.conv2d, the pool functions and F.linear in its forward.

Options (the spec's build is the default of each): k (the second branch's kernel, 3), pool ("max" or
"avg"), aux (the auxiliary head on top of mixed_1), dropout (0.2), act ("relu", "relu6" or "hardtanh6":
ReLU6 written as nn.ReLU6 or as F.hardtanh(x, 0, 6)), count_include_pad (of the padded average pools),
eps (batch norm's, SmallNetTV), nk2 (the width of mixed_2's second branch, 24; SmallNet).
"""
from collections import namedtuple

import torch
import torch.nn.functional as F
from torch import nn

SmallOutputs = namedtuple("SmallOutputs", ["logits", "aux_logits"])


def _act(act):
    return {"relu": nn.ReLU(inplace=True), "relu6": nn.ReLU6(inplace=True)}[act]


def _pool(pool, count_include_pad):
    if pool == "max":
        return nn.MaxPool2d(3, stride=1, padding=1)
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=count_include_pad)


# -- tutorial style ----------------------------------------------------------------------------------------

class Mixed(nn.Module):
    def __init__(self, in_ch, n1, nk, proj, k=3, pool="max", act="relu", count_include_pad=True):
        super().__init__()
        self.b1 = nn.Sequential(nn.Conv2d(in_ch, n1, 1), _act(act))
        self.b2 = nn.Sequential(nn.Conv2d(in_ch, nk, k, padding=k // 2), _act(act))
        self.b3 = nn.Sequential(_pool(pool, count_include_pad), nn.Conv2d(in_ch, proj, 1), _act(act))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x)], dim=1)


class SmallNet(nn.Module):
    def __init__(self, num_classes=10, k=3, pool="max", aux=True, dropout=0.2, act="relu",
                 count_include_pad=True, nk2=24):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.act1 = _act(act)
        self.mixed1 = Mixed(16, 8, 16, 8, k, pool, act, count_include_pad)
        self.mixed2 = Mixed(32, 16, nk2, 8, k, pool, act, count_include_pad)
        self.aux = nn.Linear(32, num_classes) if aux else None
        self.pool = nn.AvgPool2d(16, count_include_pad=count_include_pad)   # unpadded: the same either way
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(16 + nk2 + 8, num_classes)

    def forward(self, x):
        x = self.act1(self.conv1(x))
        x = self.mixed1(x)
        aux = self.aux(F.avg_pool2d(x, 16).flatten(1)) if self.aux is not None and self.training else None
        x = self.mixed2(x)
        x = self.pool(x)
        x = self.fc(self.drop(torch.flatten(x, 1)))
        return (x, aux) if aux is not None else x


# -- torchvision style -------------------------------------------------------------------------------------

class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, eps=1e-5, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=eps)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, chk, pool_proj, conv_block, k=3, pool="max"):
        super().__init__()
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = conv_block(in_channels, chk, kernel_size=k, padding=k // 2)
        self.branch3 = nn.Sequential(_pool(pool, True), conv_block(in_channels, pool_proj, kernel_size=1))

    def _forward(self, x):
        return [self.branch1(x), self.branch2(x), self.branch3(x)]

    def forward(self, x):
        return torch.cat(self._forward(x), 1)


class InceptionAux(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.fc(torch.flatten(x, 1))


class SmallNetTV(nn.Module):
    def __init__(self, num_classes=10, aux_logits=True, k=3, pool="max", eps=1e-5, dropout=0.2):
        super().__init__()
        conv_block = lambda *a, **kw: BasicConv2d(*a, eps=eps, **kw)   # noqa: E731
        self.aux_logits = aux_logits
        self.conv1 = conv_block(3, 16, kernel_size=3, stride=2, padding=1)
        self.inception1 = Inception(16, 8, 16, 8, conv_block, k, pool)
        self.inception2 = Inception(32, 16, 24, 8, conv_block, k, pool)
        self.aux1 = InceptionAux(32, num_classes) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(48, num_classes)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.conv1(x)
        x = self.inception1(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception2(x)
        x = torch.flatten(self.avgpool(x), 1)
        x = self.fc(self.dropout(x))
        if self.training and self.aux_logits:
            return SmallOutputs(x, aux1)
        return x


# -- functional forward ------------------------------------------------------------------------------------

class FunctionalNet(nn.Module):
    def __init__(self, num_classes, k, pool, aux, dropout, act, count_include_pad):
        super().__init__()
        self.k, self.pool, self.aux, self.p, self.act, self.cip = k, pool, aux, dropout, act, count_include_pad
        shapes = {"conv1": (16, 3, 3, 3)}
        for name, cin, (n1, nk, proj) in (("m1", 16, (8, 16, 8)), ("m2", 32, (16, 24, 8))):
            shapes.update({f"{name}_1x1": (n1, cin, 1, 1), f"{name}_kxk": (nk, cin, k, k),
                           f"{name}_proj": (proj, cin, 1, 1)})
        shapes["fc"] = (num_classes, 48)
        if aux:
            shapes["aux_fc"] = (num_classes, 32)
        self.w = nn.ParameterDict({n: nn.Parameter(torch.empty(s)) for n, s in shapes.items()})
        self.b = nn.ParameterDict({n: nn.Parameter(torch.zeros(s[0])) for n, s in shapes.items()})

    def relu(self, x):
        if self.act == "hardtanh6":
            return F.hardtanh(x, 0.0, 6.0)
        return F.relu6(x) if self.act == "relu6" else F.relu(x)

    def conv(self, x, name, **kw):
        return self.relu(F.conv2d(x, self.w[name], self.b[name], **kw))

    def mixed(self, x, name):
        if self.pool == "max":
            pooled = F.max_pool2d(x, 3, 1, 1)
        else:
            pooled = F.avg_pool2d(x, 3, 1, 1, count_include_pad=self.cip)
        return torch.cat([self.conv(x, f"{name}_1x1"), self.conv(x, f"{name}_kxk", padding=self.k // 2),
                          self.conv(pooled, f"{name}_proj")], 1)

    def forward(self, x):
        x = self.conv(x, "conv1", stride=2, padding=1)
        x = self.mixed(x, "m1")
        aux = None
        if self.aux:
            aux = F.linear(x.mean((2, 3)), self.w["aux_fc"], self.b["aux_fc"])
        x = self.mixed(x, "m2").mean((2, 3))
        x = F.linear(F.dropout(x, self.p, self.training), self.w["fc"], self.b["fc"])
        return {"out": x, "aux": aux} if aux is not None else x


def small_net_functional(num_classes=10, k=3, pool="max", aux=True, dropout=0.2, act="relu",
                         count_include_pad=True):
    return FunctionalNet(num_classes, k, pool, aux, dropout, act, count_include_pad)
