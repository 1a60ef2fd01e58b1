"""BN-Inception in the style of the Caffe ports (Cadene's pretrainedmodels, pytorchcv): one flat attribute per
layer (inception_3a_1x1, inception_3a_1x1_bn, inception_3a_relu_1x1, ...), set up from a table and called one
by one in forward, ceil-mode pools, and a 7×7 average pool before `last_linear`. As in those ports, 4c and
4d project their pools to 128 channels (the table's filter counts: 608, 608, 1056 channels).

Options:
  bias=True                 conv biases before batch norm (the ports) or none (TF-slim, the paper)
  first_conv="standard"     a plain 7×7 conv (the ports) or "separable": a depthwise 7×7 (multiplier 8) and a
                            pointwise 1×1 as two modules, as TF-slim's separable_conv2d computes it
  split=None                a module ("3a") or "all" whose 3×3 branch is a 1×1 reduce feeding a 1×3 ‖ 3×1
                            pair of half the width each (the expanded filter bank of Inception-v3)
"""
import torch
from torch import nn

# name, in, #1×1, #3×3 reduce, #3×3, double #3×3 reduce, double #3×3, pool, proj, stride (the Appendix table)
TABLE = [
    ("3a", 192, 64, 64, 64, 64, 96, "avg", 32, 1), ("3b", 256, 64, 64, 96, 64, 96, "avg", 64, 1),
    ("3c", 320, 0, 128, 160, 64, 96, "max", 0, 2), ("4a", 576, 224, 64, 96, 96, 128, "avg", 128, 1),
    ("4b", 576, 192, 96, 128, 96, 128, "avg", 128, 1), ("4c", 576, 160, 128, 160, 128, 160, "avg", 128, 1),
    ("4d", 608, 96, 128, 192, 160, 192, "avg", 128, 1), ("4e", 608, 0, 128, 192, 192, 256, "max", 0, 2),
    ("5a", 1056, 352, 192, 320, 160, 224, "avg", 128, 1), ("5b", 1024, 352, 192, 320, 192, 224, "max", 128, 1),
]


class BNInception(nn.Module):
    def __init__(self, num_classes=1000, bias=True, first_conv="standard", split=None):
        super().__init__()
        self.layers = []        # (attribute prefix, kind) in forward order
        self.first_conv = first_conv
        if first_conv == "separable":
            self.conv1_7x7_s2_dw = nn.Conv2d(3, 24, kernel_size=7, stride=2, padding=3, groups=3, bias=False)
            self.conv1_7x7_s2_pw = nn.Conv2d(24, 64, kernel_size=1, bias=bias)
        else:
            self.conv1_7x7_s2 = nn.Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=bias)
        self.conv1_7x7_s2_bn = nn.BatchNorm2d(64, affine=True)
        self.conv1_relu_7x7 = nn.ReLU(inplace=True)
        self.pool1_3x3_s2 = nn.MaxPool2d((3, 3), stride=(2, 2), dilation=(1, 1), ceil_mode=True)
        self.conv(f"conv2_3x3_reduce", 64, 64, 1, bias=bias)
        self.conv(f"conv2_3x3", 64, 192, 3, bias=bias)
        self.pool2_3x3_s2 = nn.MaxPool2d((3, 3), stride=(2, 2), dilation=(1, 1), ceil_mode=True)
        for name, cin, n1, r3, n3, d3r, d3, pool, proj, s in TABLE:
            p = f"inception_{name}"
            halves = split in (name, "all")
            if n1:
                self.conv(f"{p}_1x1", cin, n1, 1, bias=bias)
            self.conv(f"{p}_3x3_reduce", cin, r3, 1, bias=bias)
            if halves:
                self.conv(f"{p}_1x3", r3, n3 // 2, (1, 3), stride=s, bias=bias)
                self.conv(f"{p}_3x1", r3, n3 // 2, (3, 1), stride=s, bias=bias)
            else:
                self.conv(f"{p}_3x3", r3, n3, 3, stride=s, bias=bias)
            self.conv(f"{p}_double_3x3_reduce", cin, d3r, 1, bias=bias)
            self.conv(f"{p}_double_3x3_1", d3r, d3, 3, bias=bias)
            self.conv(f"{p}_double_3x3_2", d3, d3, 3, stride=s, bias=bias)
            if pool == "avg":
                setattr(self, f"{p}_pool", nn.AvgPool2d(3, stride=1, padding=1, ceil_mode=True, count_include_pad=True))
            else:
                setattr(self, f"{p}_pool", nn.MaxPool2d((3, 3), stride=s, padding=1 if s == 1 else 0, ceil_mode=True))
            if proj:
                self.conv(f"{p}_pool_proj", cin, proj, 1, bias=bias)
        self.global_pool = nn.AvgPool2d(7, stride=1, padding=0, ceil_mode=True, count_include_pad=True)
        self.last_linear = nn.Linear(1024, num_classes)

    def conv(self, name, cin, cout, k, stride=1, bias=True):
        k = (k, k) if isinstance(k, int) else k
        setattr(self, name, nn.Conv2d(cin, cout, kernel_size=k, stride=stride, padding=(k[0] // 2, k[1] // 2),
                                      bias=bias))
        setattr(self, f"{name}_bn", nn.BatchNorm2d(cout, affine=True))
        setattr(self, f"{name}_relu", nn.ReLU(inplace=True))

    def cbr(self, name, x):
        return getattr(self, f"{name}_relu")(getattr(self, f"{name}_bn")(getattr(self, name)(x)))

    def features(self, input):
        if self.first_conv == "separable":
            x = self.conv1_7x7_s2_pw(self.conv1_7x7_s2_dw(input))
        else:
            x = self.conv1_7x7_s2(input)
        x = self.conv1_relu_7x7(self.conv1_7x7_s2_bn(x))
        x = self.pool1_3x3_s2(x)
        x = self.cbr("conv2_3x3", self.cbr("conv2_3x3_reduce", x))
        x = self.pool2_3x3_s2(x)
        for name, cin, n1, r3, n3, d3r, d3, pool, proj, s in TABLE:
            p = f"inception_{name}"
            outs = []
            if n1:
                outs.append(self.cbr(f"{p}_1x1", x))
            reduced = self.cbr(f"{p}_3x3_reduce", x)
            if hasattr(self, f"{p}_1x3"):
                outs += [self.cbr(f"{p}_1x3", reduced), self.cbr(f"{p}_3x1", reduced)]
            else:
                outs.append(self.cbr(f"{p}_3x3", reduced))
            d = self.cbr(f"{p}_double_3x3_reduce", x)
            outs.append(self.cbr(f"{p}_double_3x3_2", self.cbr(f"{p}_double_3x3_1", d)))
            pooled = getattr(self, f"{p}_pool")(x)
            outs.append(self.cbr(f"{p}_pool_proj", pooled) if proj else pooled)
            x = torch.cat(outs, 1)
        return x

    def logits(self, features):
        x = self.global_pool(features)
        x = x.view(x.size(0), -1)
        return self.last_linear(x)

    def forward(self, input):
        return self.logits(self.features(input))
