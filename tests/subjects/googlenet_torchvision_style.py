"""A GoogLeNet in torchvision's style: BasicConv2d (conv without bias, batch norm eps 0.001, ReLU), a
`conv_block` argument, `transform_input` (the per-channel re-normalization of pretrained weights, written
as slices, scalings and a cat of the input), `aux_logits`, and a namedtuple output
GoogLeNetOutputs(logits, aux_logits2, aux_logits1) in training.

With the defaults it is the paper's structure with batch norm and no LRN, which the spec's
`torchvision-like` variant builds. The options are torchvision's own four deviations (pytorch/vision#906):
  k5=3                      a 3×3 conv where each 5×5 branch is
  maxpool4=2                a 2×2/2 max pool before inception (5a) where the paper has 3×3/2
  aux_pool="adaptive"       adaptive average pools to 4×4 in the auxiliary heads (paper: 5×5/3)
  dropout=0.2               main-head dropout (paper: 40%)
"""
from collections import namedtuple

import torch
import torch.nn.functional as F
from torch import nn

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        return F.relu(x, inplace=True)


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, conv_block=None, k5=5):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=k5, padding=k5 // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     conv_block(in_channels, pool_proj, kernel_size=1))

    def _forward(self, x):
        return [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]

    def forward(self, x):
        return torch.cat(self._forward(x), 1)


class InceptionAux(nn.Module):
    def __init__(self, in_channels, num_classes, conv_block=None, pool="paper"):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.pool = pool
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        # aux1: N x 512 x 14 x 14, aux2: N x 528 x 14 x 14
        if self.pool == "adaptive":
            x = F.adaptive_avg_pool2d(x, (4, 4))
        else:
            x = F.avg_pool2d(x, kernel_size=5, stride=3)
        x = self.conv(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x), inplace=True)
        x = F.dropout(x, 0.7, training=self.training)
        return self.fc2(x)


class GoogLeNet(nn.Module):
    __constants__ = ["aux_logits", "transform_input"]

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=True, k5=5, maxpool4=3,
                 aux_pool="paper", dropout=0.4):
        super().__init__()
        conv_block, inception_block = BasicConv2d, Inception
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = inception_block(192, 64, 96, 128, 16, 32, 32, k5=k5)
        self.inception3b = inception_block(256, 128, 128, 192, 32, 96, 64, k5=k5)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = inception_block(480, 192, 96, 208, 16, 48, 64, k5=k5)
        self.inception4b = inception_block(512, 160, 112, 224, 24, 64, 64, k5=k5)
        self.inception4c = inception_block(512, 128, 128, 256, 24, 64, 64, k5=k5)
        self.inception4d = inception_block(512, 112, 144, 288, 32, 64, 64, k5=k5)
        self.inception4e = inception_block(528, 256, 160, 320, 32, 128, 128, k5=k5)
        self.maxpool4 = nn.MaxPool2d(maxpool4, stride=2, ceil_mode=True)

        self.inception5a = inception_block(832, 256, 160, 320, 32, 128, 128, k5=k5)
        self.inception5b = inception_block(832, 384, 192, 384, 48, 128, 128, k5=k5)

        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, pool=aux_pool)
            self.aux2 = InceptionAux(528, num_classes, pool=aux_pool)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

    def _transform_input(self, x):
        if self.transform_input:
            x_ch0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
            x_ch1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
            x_ch2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
            x = torch.cat((x_ch0, x_ch1, x_ch2), 1)
        return x

    def _forward(self, x):
        x = self.conv1(x)          # N x 64 x 112 x 112
        x = self.maxpool1(x)       # N x 64 x 56 x 56
        x = self.conv2(x)
        x = self.conv3(x)          # N x 192 x 56 x 56
        x = self.maxpool2(x)

        x = self.inception3a(x)    # N x 256 x 28 x 28
        x = self.inception3b(x)
        x = self.maxpool3(x)
        x = self.inception4a(x)    # N x 512 x 14 x 14
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)    # N x 528 x 14 x 14
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.inception4e(x)
        x = self.maxpool4(x)       # N x 832 x 7 x 7
        x = self.inception5a(x)
        x = self.inception5b(x)    # N x 1024 x 7 x 7

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.dropout(x)
        x = self.fc(x)             # N x 1000 (num_classes)
        return x, aux2, aux1

    def forward(self, x):
        x = self._transform_input(x)
        x, aux2, aux1 = self._forward(x)
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def googlenet(**kwargs):
    return GoogLeNet(**kwargs)
