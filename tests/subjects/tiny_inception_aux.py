"""A tiny Inception-style network written the way torchvision writes its models: conv-BN-ReLU blocks as
nn.Sequential subclasses, two-branch mixed blocks concatenated, an auxiliary classifier after the first
block that runs in training only, adaptive pools (so any input size works) and, in training, a
namedtuple whose FIRST field is the auxiliary output. `freeze_stem=True` turns off requires_grad on
the stem, as fine-tuning scripts do.
"""
from collections import namedtuple

import torch
from torch import nn

Outputs = namedtuple("Outputs", ["aux_logits", "logits"])


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_planes, out_planes, kernel_size, stride=1):
        super().__init__(
            nn.Conv2d(in_planes, out_planes, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_planes),
            nn.ReLU(inplace=True),
        )


class Mixed(nn.Module):
    def __init__(self, in_planes, ch1x1, ch3x3):
        super().__init__()
        self.branch1x1 = ConvBNReLU(in_planes, ch1x1, 1)
        self.branch3x3 = nn.Sequential(ConvBNReLU(in_planes, ch3x3, 1), ConvBNReLU(ch3x3, ch3x3, 3))

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch3x3(x)], 1)


class AuxClassifier(nn.Module):
    def __init__(self, in_planes, num_classes):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.conv = ConvBNReLU(in_planes, 16, 1)
        self.fc = nn.Linear(16 * 2 * 2, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(self.pool(x)), 1))


class TinyInception(nn.Module):
    def __init__(self, num_classes=10, aux_logits=True, freeze_stem=False):
        super().__init__()
        self.stem = ConvBNReLU(3, 16, 3, stride=2)
        self.mixed1 = Mixed(16, 8, 16)      # 8 + 16 = 24 channels
        self.mixed2 = Mixed(24, 16, 16)     # 32 channels
        self.aux = AuxClassifier(24, num_classes) if aux_logits else None
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)
        if freeze_stem:
            for p in self.stem.parameters():
                p.requires_grad_(False)

    def forward(self, x):
        x = self.mixed1(self.stem(x))
        aux = self.aux(x) if self.training and self.aux is not None else None
        x = self.mixed2(x)
        x = self.fc(torch.flatten(self.avgpool(x), 1))
        if aux is not None:
            return Outputs(aux, x)
        return x
