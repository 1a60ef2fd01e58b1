"""MobileNet v1 (arXiv 1704.04861, Table 1) written three ways, as test subjects for `archcheck verify --model`.

All three are the 28-layer body of Table 1 (a full 3x3 conv, then 13 depthwise/pointwise pairs), BN and an
activation after every conv, average pool and a 1000-way FC. Where Table 1 prints "Conv dw / s2" on row 18,
whose input and the next row's are both 7x7, the implementations use stride 1; that is the default here.

`MobileNetTutorial`  tutorial style
    `conv_bn` / `conv_dw` helpers; the depthwise conv, its BN and ReLU and the pointwise conv, its BN and ReLU
    are ONE nn.Sequential per block, all in `self.model` with a final nn.AvgPool2d(7) (so it assumes 224x224);
    `x.view(-1, 1024)` and `self.fc`.
      relu6=True           ReLU6 instead of ReLU (a common deviation from the paper's ReLU)
      late_downsample=True DEVIATION: the stride 2 of row 12 (28 -> 14) moves to row 14, the next depthwise
                           conv, so row 13's pointwise conv runs at 28x28
      num_classes

`MobileNetV1`  separate modules in a list, with the width multiplier and an assumed resolution
    `DepthwiseConv` and `PointwiseConv` modules (conv + BN + ReLU each), 27 of them in one nn.ModuleList after
    the `stem`; `nn.AvgPool2d(resolution // 32)`, dropout and `classifier`.
      width_mult=a         the paper's width multiplier alpha: every layer has int(a * channels) channels
      resolution=r         the input size the pool is built for (the paper's rho * 224): 224, 192, 160, 128
      stride_on_pointwise=True  DEVIATION: each stride 2 sits on the pointwise 1x1 conv after the depthwise
                           conv instead of on the depthwise conv, so those depthwise convs run at full size
      dropout, num_classes

`KerasMobileNet`  a port of keras.applications.MobileNet
    Layers named conv1, conv1_bn, conv1_relu, conv_dw_1, conv_dw_1_bn, conv_pw_1, ...; strided convs use
    nn.ZeroPad2d((0, 1, 0, 1)) and padding 0 (TensorFlow's "same"); ReLU6 everywhere (as Keras does);
    nn.AdaptiveAvgPool2d(1), dropout, the classifier as a 1x1 conv `conv_preds`, reshape, softmax (it returns
    probabilities unless classifier_activation=None).
      alpha=a              width multiplier, as in MobileNetV1
      shallow=True         the paper's shallower MobileNet (Sect. 4.1): the five 14x14x512 pairs removed
      paper_strides=True   DEVIATION: stride 2 on row 18 as printed, so the last pair runs at 3x3 (with
                           Keras' fixed (0, 1) padding)
      classifier_activation="softmax" | None, dropout, num_classes
"""
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

# (output channels of the pointwise conv, stride of the depthwise conv): Table 1 rows 2-19 in pairs
BODY = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),        # the "5x" rows 14-15
        (1024, 2), (1024, 1)]


# -- tutorial style ------------------------------------------------------------------------------------

def _act(relu6):
    return nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True)


def conv_bn(inp, oup, stride, relu6=False):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), _act(relu6))


def conv_dw(inp, oup, stride, relu6=False):
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),   # depthwise
        nn.BatchNorm2d(inp),
        _act(relu6),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False),                    # pointwise
        nn.BatchNorm2d(oup),
        _act(relu6),
    )


class MobileNetTutorial(nn.Module):
    def __init__(self, num_classes=1000, relu6=False, late_downsample=False):
        super().__init__()
        strides = [s for _, s in BODY]
        if late_downsample:
            strides[5], strides[6] = 1, 2
        layers, inp = [conv_bn(3, 32, 2, relu6)], 32
        for (oup, _), stride in zip(BODY, strides):
            layers.append(conv_dw(inp, oup, stride, relu6))
            inp = oup
        layers.append(nn.AvgPool2d(7))
        self.model = nn.Sequential(*layers)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.model(x)
        x = x.view(-1, 1024)
        return self.fc(x)


# -- separate depthwise and pointwise modules ----------------------------------------------------------

class DepthwiseConv(nn.Module):
    def __init__(self, channels, stride):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, stride=stride, padding=1, groups=channels,
                              bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class PointwiseConv(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class MobileNetV1(nn.Module):
    def __init__(self, width_mult=1.0, resolution=224, num_classes=1000, dropout=0.001,
                 stride_on_pointwise=False):
        super().__init__()
        if resolution % 32:
            raise ValueError(f"resolution {resolution} is not a multiple of 32")
        self.resolution = resolution

        def width(c):
            return int(c * width_mult)

        cin = width(32)
        self.stem = nn.Sequential(nn.Conv2d(3, cin, 3, 2, 1, bias=False), nn.BatchNorm2d(cin), nn.ReLU(inplace=True))
        self.layers = nn.ModuleList()
        for c, stride in BODY:
            dw_stride, pw_stride = (1, stride) if stride_on_pointwise else (stride, 1)
            self.layers.append(DepthwiseConv(cin, dw_stride))
            self.layers.append(PointwiseConv(cin, width(c), pw_stride))
            cin = width(c)
        self.pool = nn.AvgPool2d(resolution // 32)      # a 7x7 map at 224
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.classifier(self.dropout(x))


# -- Keras port ----------------------------------------------------------------------------------------

class KerasMobileNet(nn.Module):
    def __init__(self, alpha=1.0, num_classes=1000, dropout=1e-3, shallow=False, paper_strides=False,
                 classifier_activation="softmax"):
        super().__init__()
        body = list(BODY)
        if shallow:
            del body[6:11]
        if paper_strides:
            body[-1] = (body[-1][0], 2)
        self.classifier_activation = classifier_activation
        layers = OrderedDict()

        def conv(name, cin, cout, k, stride, groups=1, pad_name=None):
            if stride == 2:         # TensorFlow "same" padding of a stride-2 3x3 conv on an even-sized input
                layers[pad_name or f"{name}_pad"] = nn.ZeroPad2d((0, 1, 0, 1))
            layers[name] = nn.Conv2d(cin, cout, k, stride, padding=(k // 2 if stride == 1 else 0),
                                     groups=groups, bias=False)
            layers[f"{name}_bn"] = nn.BatchNorm2d(cout)
            layers[f"{name}_relu"] = nn.ReLU6()

        cin = int(32 * alpha)
        conv("conv1", 3, cin, 3, 2)
        for i, (c, stride) in enumerate(body, start=1):
            conv(f"conv_dw_{i}", cin, cin, 3, stride, groups=cin, pad_name=f"conv_pad_{i}")
            conv(f"conv_pw_{i}", cin, int(c * alpha), 1, 1)
            cin = int(c * alpha)
        self.features = nn.Sequential(layers)
        self.global_average_pooling2d = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.conv_preds = nn.Conv2d(cin, num_classes, kernel_size=1)

    def forward(self, x):
        x = self.features(x)
        x = self.global_average_pooling2d(x)       # keepdims: (N, C, 1, 1)
        x = self.conv_preds(self.dropout(x))
        x = x.reshape(x.shape[0], -1)
        if self.classifier_activation == "softmax":
            x = F.softmax(x, dim=1)
        return x
