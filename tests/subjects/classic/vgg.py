"""VGG (arXiv 1409.1556, Table 1) written three ways, as test subjects for `archcheck verify --model`.

Every style builds configuration A, A-LRN, B, C, D or E, chosen by `config` (a letter, or 11/13/16/19 for
A/B/D/E). C is D with the third conv of stages 3-5 a 1x1 conv; A-LRN is A with a LocalResponseNorm (the
AlexNet parameters the paper points to: size 5, alpha 1e-4, beta 0.75, k 2) after the first conv's ReLU.

`vgg` / `vgg11` `vgg13` `vgg16` `vgg19`  (class `VGG`)  torchvision style
    A cfg list such as [64, 64, "M", 128, ...] expanded into `features`; "M" is a max pool, "LRN" an LRN layer,
    a tuple (channels, 1) a 1x1 conv. Then `avgpool` (AdaptiveAvgPool2d(7), a no-op at 224) and `classifier`
    (Linear/ReLU/Dropout twice, then Linear).
      batch_norm=True      BatchNorm2d after every conv (torchvision's vgg*_bn)
      conv_bias=False      convs without bias (only sensible with batch_norm: pytorchcv's bn_vgg*)
      num_classes, dropout, init_weights
      half_width_stage=k   DEVIATION: stage k (1-5) has half the channels of Table 1

`VGGNet`  tutorial-notebook style
    Explicit attributes block1 ... block5 (nn.Sequential each), fc1/fc2/fc3 with functional ReLU and dropout,
    `x.view(x.size(0), -1)`; no adaptive pool, so it assumes a 224x224 input.
      num_classes
      fc_width=n           DEVIATION: hidden FC layers of n units instead of 4096 (CIFAR-tutorial habit)
      one_by_one_first=True  DEVIATION (config C only): the 1x1 conv is the first conv of stages 3-5, not
                           the last (so it is the one that widens the stage)

`VGGFunctional`  functional forward
    Weights are nn.Parameters in ParameterLists; forward calls F.conv2d, F.relu, F.max_pool2d,
    F.local_response_norm, F.linear and F.dropout on them.
      num_classes
      pool="avg"           DEVIATION: average pooling instead of max pooling
      extra_conv_stage=k   DEVIATION: one more conv3 in stage k (1-5)
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

WIDTHS = (64, 128, 256, 512, 512)                 # per stage, Table 1
CONVS = {"A": (1, 1, 2, 2, 2), "A-LRN": (1, 1, 2, 2, 2), "B": (2, 2, 2, 2, 2),
         "C": (2, 2, 3, 3, 3), "D": (2, 2, 3, 3, 3), "E": (2, 2, 4, 4, 4)}
BY_DEPTH = {11: "A", 13: "B", 16: "D", 19: "E"}
LRN_ARGS = dict(size=5, alpha=1e-4, beta=0.75, k=2.0)


def _config(config):
    config = BY_DEPTH.get(config, config)
    if config not in CONVS:
        raise ValueError(f"unknown VGG configuration {config!r}; expected one of {sorted(CONVS)} or 11/13/16/19")
    return config


# -- torchvision style ---------------------------------------------------------------------------------

CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, (256, 1), "M", 512, 512, (512, 1), "M", 512, 512, (512, 1), "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False, conv_bias=True, half_width_stage=0):
    layers, in_channels, stage = [], 3, 1
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            stage += 1
            continue
        if v == "LRN":
            layers.append(nn.LocalResponseNorm(**LRN_ARGS))
            continue
        out_channels, k = v if isinstance(v, tuple) else (v, 3)
        if stage == half_width_stage:
            out_channels //= 2
        conv = nn.Conv2d(in_channels, out_channels, kernel_size=k, padding=k // 2, bias=conv_bias)
        layers += [conv, nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)] if batch_norm else \
                  [conv, nn.ReLU(inplace=True)]
        in_channels = out_channels
    return nn.Sequential(*layers), in_channels


class VGG(nn.Module):
    def __init__(self, features, last_channels=512, num_classes=1000, dropout=0.5, init_weights=True):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(last_channels * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def vgg(config="D", batch_norm=False, conv_bias=True, half_width_stage=0, **kwargs):
    features, channels = make_layers(CFGS[_config(config)], batch_norm, conv_bias, half_width_stage)
    return VGG(features, channels, **kwargs)


def vgg11(**kwargs):
    return vgg("A", **kwargs)


def vgg13(**kwargs):
    return vgg("B", **kwargs)


def vgg16(**kwargs):
    return vgg("D", **kwargs)


def vgg19(**kwargs):
    return vgg("E", **kwargs)


# -- tutorial-notebook style ---------------------------------------------------------------------------

def conv_block(in_ch, out_ch, n_convs, one_by_one=None, lrn=False):
    """n_convs conv-ReLU pairs, then a 2x2 max pool. one_by_one: index of the conv that is 1x1 (config C)."""
    layers = []
    for i in range(n_convs):
        k = 1 if i == one_by_one else 3
        layers += [nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, kernel_size=k, padding=k // 2),
                   nn.ReLU(inplace=True)]
        if lrn and i == 0:
            layers.append(nn.LocalResponseNorm(**LRN_ARGS))
    layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers)


class VGGNet(nn.Module):
    def __init__(self, config="D", num_classes=1000, fc_width=4096, one_by_one_first=False):
        super().__init__()
        config = _config(config)
        n1, n2, n3, n4, n5 = CONVS[config]
        # configuration C: the 1x1 conv is the last of stages 3-5 (Table 1 rows 13, 18, 23)
        one = None if config != "C" else (0 if one_by_one_first else 2)

        self.block1 = conv_block(3, 64, n1, lrn=config == "A-LRN")
        self.block2 = conv_block(64, 128, n2)
        self.block3 = conv_block(128, 256, n3, one)
        self.block4 = conv_block(256, 512, n4, one)
        self.block5 = conv_block(512, 512, n5, one)

        self.fc1 = nn.Linear(512 * 7 * 7, fc_width)
        self.fc2 = nn.Linear(fc_width, fc_width)
        self.fc3 = nn.Linear(fc_width, num_classes)

    def forward(self, x):
        x = self.block1(x)
        x = self.block2(x)
        x = self.block3(x)
        x = self.block4(x)
        x = self.block5(x)
        x = x.view(x.size(0), -1)
        x = F.dropout(F.relu(self.fc1(x)), 0.5, self.training)
        x = F.dropout(F.relu(self.fc2(x)), 0.5, self.training)
        return self.fc3(x)


# -- functional style ----------------------------------------------------------------------------------

class VGGFunctional(nn.Module):
    def __init__(self, config="D", num_classes=1000, pool="max", extra_conv_stage=0):
        super().__init__()
        config = _config(config)
        if pool not in ("max", "avg"):
            raise ValueError(f"pool must be 'max' or 'avg', not {pool!r}")
        self.pool = pool
        self.plan = []                      # ("conv", kernel) | ("lrn",) | ("pool",), walked by forward
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        cin = 3
        for stage, (cout, n) in enumerate(zip(WIDTHS, CONVS[config]), start=1):
            n += stage == extra_conv_stage
            for i in range(n):
                k = 1 if config == "C" and stage >= 3 and i == n - 1 else 3
                w = torch.empty(cout, cin, k, k)
                nn.init.kaiming_uniform_(w, a=math.sqrt(5))
                self.weights.append(nn.Parameter(w))
                self.biases.append(nn.Parameter(torch.zeros(cout)))
                self.plan.append(("conv", k))
                if config == "A-LRN" and stage == 1 and i == 0:
                    self.plan.append(("lrn",))
                cin = cout
            self.plan.append(("pool",))
        sizes = [cin * 7 * 7, 4096, 4096, num_classes]
        self.fc_w = nn.ParameterList(nn.Parameter(torch.randn(o, i) * 0.01) for i, o in zip(sizes, sizes[1:]))
        self.fc_b = nn.ParameterList(nn.Parameter(torch.zeros(o)) for o in sizes[1:])

    def forward(self, x):
        convs = iter(zip(self.weights, self.biases))
        for step in self.plan:
            if step[0] == "conv":
                w, b = next(convs)
                x = F.relu(F.conv2d(x, w, b, stride=1, padding=step[1] // 2))
            elif step[0] == "lrn":
                x = F.local_response_norm(x, **LRN_ARGS)
            elif self.pool == "max":
                x = F.max_pool2d(x, kernel_size=2, stride=2)
            else:
                x = F.avg_pool2d(x, kernel_size=2, stride=2)
        x = torch.flatten(x, 1)
        last = len(self.fc_w) - 1
        for i, (w, b) in enumerate(zip(self.fc_w, self.fc_b)):
            x = F.linear(x, w, b)
            if i < last:
                x = F.dropout(F.relu(x), p=0.5, training=self.training)
        return x
