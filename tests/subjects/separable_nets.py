"""One small depthwise-separable network (conv 3×3/2 32, separable 3×3 to 64, separable 3×3/2 to 128, global
average pool, linear to 10) grouped into modules in the ways real code groups it, for the fixture specs
tests/fixtures/separable_rows.yaml (depthwise and pointwise as two table rows, batch norm and ReLU after
each, as MobileNet's table) and tests/fixtures/separable_one_row.yaml (one `sepconv` row, nothing between
the depthwise and pointwise parts, as TF-slim's separable_conv2d).
"""
import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DepthwiseSeparable(nn.Module):
    """MobileNet's block as most ports write it: both convs in one module, batch norm and ReLU between."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(self.bn1(self.dw(x)))
        return F.relu(self.bn2(self.pw(x)))


class Fused(nn.Module):
    """For separable_rows.yaml: two table rows in one module."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem = conv_bn(3, 32, 2)
        self.blocks = nn.Sequential(DepthwiseSeparable(32, 64, 1), DepthwiseSeparable(64, 128, 2))
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


class PerRow(nn.Module):
    """For separable_rows.yaml: one module per table row, as the table writes them."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = conv_bn(3, 32, 2)
        self.conv_dw1 = nn.Sequential(nn.Conv2d(32, 32, 3, 1, 1, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.conv_pw1 = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.conv_dw2 = nn.Sequential(nn.Conv2d(64, 64, 3, 2, 1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.conv_pw2 = nn.Sequential(nn.Conv2d(64, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        for name in ("conv1", "conv_dw1", "conv_pw1", "conv_dw2", "conv_pw2", "pool"):
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(x, 1))


def Soup(num_classes=10):
    """For separable_rows.yaml: a notebook's single nn.Sequential with every layer in it."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, 1, 1, groups=32, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, 2, 1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(128, num_classes))


class SeparableConv2d(nn.Module):
    """TF-slim's separable_conv2d: depthwise then pointwise, nothing between; batch norm and ReLU after."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.pointwise(self.depthwise(x))))


class OneModule(nn.Module):
    """For separable_one_row.yaml: each separable conv one module."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 32, 2), SeparableConv2d(32, 64, 1), SeparableConv2d(64, 128, 2))
        self.classifier = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


class TwoModules(nn.Module):
    """For separable_one_row.yaml: the depthwise and the pointwise parts in modules of their own."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = conv_bn(3, 32, 2)
        self.dw1 = nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False)
        self.pw1 = nn.Sequential(nn.Conv2d(32, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU())
        self.dw2 = nn.Conv2d(64, 64, 3, stride=2, padding=1, groups=64, bias=False)
        self.pw2 = nn.Sequential(nn.Conv2d(64, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.pw2(self.dw2(self.pw1(self.dw1(self.conv1(x)))))
        return self.fc(F.adaptive_avg_pool2d(x, (1, 1)).view(x.size(0), -1))
