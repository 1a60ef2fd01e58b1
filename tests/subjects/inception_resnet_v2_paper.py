"""Inception-ResNet-v2 as the paper draws it (figures 3, 7, 16-19 and Table 1), written timm-style: a
ConvNormAct module (conv without bias, batch norm eps 0.001, ReLU), `forward_features` / `forward_head`,
`drop_rate`, stages built from a list, and residual sums written `torch.add(shortcut, branch,
alpha=scale)`. The expansions have their shortcut's width (384, 1152, 2144), since a sum needs it.

Options:
  repeats="5,10,5"   blocks in the 35×35, 17×17 and 8×8 stages (figure 15: 5, 10, 5)
"""
import torch
import torch.nn.functional as F
from torch import nn


class ConvNormAct(nn.Module):
    def __init__(self, cin, cout, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


def same(cin, cout, k):
    k = (k, k) if isinstance(k, int) else k
    return ConvNormAct(cin, cout, k, padding=(k[0] // 2, k[1] // 2))


class Concat(nn.Module):
    """Parallel paths from one input, concatenated."""

    def __init__(self, *paths):
        super().__init__()
        self.paths = nn.ModuleList(paths)

    def forward(self, x):
        return torch.cat([p(x) for p in self.paths], dim=1)


class Residual(nn.Module):
    """Inception-ResNet block: branches, a linear 1×1 filter expansion, scaled and added to the input."""

    def __init__(self, channels, branches, scale):
        super().__init__()
        self.branches = Concat(*branches)
        width = sum(p[-1].conv.out_channels if isinstance(p, nn.Sequential) else p.conv.out_channels
                    for p in branches)
        self.up = nn.Conv2d(width, channels, 1)      # "1x1 Conv (N Linear)": bias, no batch norm
        self.scale = scale

    def forward(self, x):
        return F.relu(torch.add(x, self.up(self.branches(x)), alpha=self.scale))


def block_a(c):
    return Residual(c, [same(c, 32, 1), nn.Sequential(same(c, 32, 1), same(32, 32, 3)),
                        nn.Sequential(same(c, 32, 1), same(32, 48, 3), same(48, 64, 3))], 0.17)


def block_b(c):
    return Residual(c, [same(c, 192, 1), nn.Sequential(same(c, 128, 1), same(128, 160, (1, 7)),
                                                       same(160, 192, (7, 1)))], 0.10)


def block_c(c):
    return Residual(c, [same(c, 192, 1), nn.Sequential(same(c, 192, 1), same(192, 224, (1, 3)),
                                                       same(224, 256, (3, 1)))], 0.20)


class MaxPool(nn.MaxPool2d):
    def __init__(self):
        super().__init__(3, stride=2)


class IncResV2(nn.Module):
    def __init__(self, num_classes=1000, drop_rate=0.2, repeats="5,10,5"):
        super().__init__()
        a, b, c = (int(v) for v in str(repeats).split(","))
        self.drop_rate = drop_rate
        self.stem = nn.Sequential(
            ConvNormAct(3, 32, 3, stride=2), ConvNormAct(32, 32, 3), same(32, 64, 3),
            Concat(MaxPool(), ConvNormAct(64, 96, 3, stride=2)),                           # 73×73×160
            Concat(nn.Sequential(same(160, 64, 1), ConvNormAct(64, 96, 3)),
                   nn.Sequential(same(160, 64, 1), same(64, 64, (7, 1)), same(64, 64, (1, 7)),
                                 ConvNormAct(64, 96, 3))),                                # 71×71×192
            Concat(ConvNormAct(192, 192, 3, stride=2), MaxPool()),                         # 35×35×384
        )
        k, l, m, n = 256, 256, 384, 384                                                    # Table 1
        self.stages = nn.Sequential(
            *[block_a(384) for _ in range(a)],
            Concat(ConvNormAct(384, n, 3, stride=2),
                   nn.Sequential(same(384, k, 1), same(k, l, 3), ConvNormAct(l, m, 3, stride=2)), MaxPool()),
            *[block_b(1152) for _ in range(b)],
            Concat(nn.Sequential(same(1152, 256, 1), ConvNormAct(256, 384, 3, stride=2)),
                   nn.Sequential(same(1152, 256, 1), ConvNormAct(256, 288, 3, stride=2)),
                   nn.Sequential(same(1152, 256, 1), same(256, 288, 3), ConvNormAct(288, 320, 3, stride=2)),
                   MaxPool()),                                                             # 8×8×2144
            *[block_c(2144) for _ in range(c)],
        )
        self.global_pool = nn.AvgPool2d(8, stride=1)
        self.fc = nn.Linear(2144, num_classes)

    def forward_features(self, x):
        return self.stages(self.stem(x))

    def forward_head(self, x):
        x = self.global_pool(x).flatten(1)
        if self.drop_rate > 0.0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return self.fc(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))
