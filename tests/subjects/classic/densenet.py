"""DenseNet-BC (arXiv 1608.06993, Table 1) written three ways, as test subjects for `archcheck verify --model`.

Every style builds DenseNet-121, 169, 201 or 264 (dense blocks of 6-12-24-16, 6-12-32-32, 6-12-48-32,
6-12-64-48 layers), chosen by `depth`: growth rate k = 32, a 7x7/2 conv of 2k = 64 channels, BN, ReLU and a
3x3/2 max pool, dense layers BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k), transitions BN-ReLU-Conv1x1 to
floor(0.5 m) channels and a 2x2/2 average pool, a final BN-ReLU, global average pool and a 1000-way FC.

`densenet` / `densenet121` `densenet169` `densenet201` `densenet264`  (class `DenseNet`)  torchvision style
    `_DenseLayer` concatenates the list of earlier features it is given (`bn_function`); `_DenseBlock`, an
    nn.ModuleDict, keeps that features list and concatenates it at the end; `_Transition` is an
    nn.Sequential (norm, relu, conv, pool); `features` is an OrderedDict Sequential (conv0, norm0, relu0,
    pool0, denseblock1, transition1, ..., norm5) and forward applies F.relu, adaptive pool and `classifier`.
      memory_efficient=True  the bottleneck (concat-BN-ReLU-conv1x1) runs under torch.utils.checkpoint when
                           gradients are needed: the same architecture, recomputed in the backward pass
      drop_rate, num_classes
      growth_rate=24       DEVIATION: k = 24; the stem stays num_init_features=64 wide (torchvision's two
                           arguments are independent)
      compression=1.0      DEVIATION: transitions keep all channels (DenseNet-B, not -BC)
      bn_size=n            DEVIATION if not 4: bottleneck of n*k channels

`TutorialDenseNet`  CIFAR-tutorial style moved to ImageNet
    `DenseBottleneck` layers that return torch.cat([x, out], 1) themselves, chained in nn.Sequential dense1-4;
    `TransitionDown` with F.avg_pool2d; F.relu calls; `self.linear`.
      growth_rate=24       DEVIATION: k = 24 (the stem is 2k wide, as in the paper, so it shrinks too)
      reduction=1.0        DEVIATION: no compression in the transitions
      cifar_stem=True      DEVIATION: the CIFAR stem, a 3x3 conv of stride 1 with no BN, ReLU or max pool
      num_classes

`d2l_densenet`  a notebook factory returning a plain nn.Sequential (Dive-into-Deep-Learning style)
    `conv_block` Sequentials inside a `DenseBlock` whose forward does X = torch.cat((X, Y), dim=1);
    `transition_block` Sequentials; nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten, nn.Linear.
      conv_bias=True       DEVIATION: every conv has a bias (nn.Conv2d's default, as the notebook leaves it)
      growth_rate, num_classes
"""
import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from torch import nn

BLOCK_CONFIG = {121: (6, 12, 24, 16), 169: (6, 12, 32, 32), 201: (6, 12, 48, 32), 264: (6, 12, 64, 48)}


def _blocks(depth):
    if depth not in BLOCK_CONFIG:
        raise ValueError(f"unsupported depth {depth}; expected one of {sorted(BLOCK_CONFIG)}")
    return BLOCK_CONFIG[depth]


# -- torchvision style ---------------------------------------------------------------------------------

class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, *inputs):
        return self.conv1(self.relu1(self.norm1(torch.cat(inputs, 1))))

    def forward(self, prev_features):
        if self.memory_efficient and any(t.requires_grad for t in prev_features):
            bottleneck = cp.checkpoint(self.bn_function, *prev_features, use_reentrant=False)
        else:
            bottleneck = self.bn_function(*prev_features)
        new = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new = F.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            self[f"denselayer{i + 1}"] = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size,
                                                     drop_rate, memory_efficient)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4,
                 drop_rate=0.0, num_classes=1000, memory_efficient=False, compression=0.5):
        super().__init__()
        if not 0 < compression <= 1:
            raise ValueError(f"compression must be in (0, 1], not {compression}")
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, channels, bn_size, growth_rate,
                                                                       drop_rate, memory_efficient))
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                out = int(math.floor(compression * channels))
                self.features.add_module(f"transition{i + 1}", _Transition(channels, out))
                channels = out
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, x):
        features = self.features(x)
        out = F.relu(features, inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(torch.flatten(out, 1))


def densenet(depth=121, **kwargs):
    return DenseNet(block_config=_blocks(depth), **kwargs)


def densenet121(**kwargs):
    return densenet(121, **kwargs)


def densenet169(**kwargs):
    return densenet(169, **kwargs)


def densenet201(**kwargs):
    return densenet(201, **kwargs)


def densenet264(**kwargs):
    return densenet(264, **kwargs)


# -- CIFAR-tutorial style ------------------------------------------------------------------------------

class DenseBottleneck(nn.Module):
    def __init__(self, in_planes, growth_rate):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, 4 * growth_rate, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth_rate)
        self.conv2 = nn.Conv2d(4 * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([x, out], 1)


class TransitionDown(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, kernel_size=1, bias=False)

    def forward(self, x):
        out = self.conv(F.relu(self.bn(x)))
        return F.avg_pool2d(out, 2)


class TutorialDenseNet(nn.Module):
    def __init__(self, depth=121, growth_rate=32, reduction=0.5, num_classes=1000, cifar_stem=False):
        super().__init__()
        self.growth_rate = growth_rate
        self.cifar_stem = cifar_stem
        num_planes = 2 * growth_rate
        if cifar_stem:
            self.conv1 = nn.Conv2d(3, num_planes, kernel_size=3, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(3, num_planes, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(num_planes)

        nblocks = _blocks(depth)
        for i, n in enumerate(nblocks, start=1):
            setattr(self, f"dense{i}", self._make_dense_layers(num_planes, n))
            num_planes += n * growth_rate
            if i < len(nblocks):
                out_planes = int(math.floor(num_planes * reduction))
                setattr(self, f"trans{i}", TransitionDown(num_planes, out_planes))
                num_planes = out_planes

        self.bn = nn.BatchNorm2d(num_planes)
        self.linear = nn.Linear(num_planes, num_classes)

    def _make_dense_layers(self, in_planes, nblock):
        layers = []
        for _ in range(nblock):
            layers.append(DenseBottleneck(in_planes, self.growth_rate))
            in_planes += self.growth_rate
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv1(x)
        if not self.cifar_stem:
            out = F.max_pool2d(F.relu(self.bn1(out)), kernel_size=3, stride=2, padding=1)
        out = self.trans1(self.dense1(out))
        out = self.trans2(self.dense2(out))
        out = self.trans3(self.dense3(out))
        out = self.dense4(out)
        out = F.adaptive_avg_pool2d(F.relu(self.bn(out)), 1)
        out = out.view(out.size(0), -1)
        return self.linear(out)


# -- notebook factory ----------------------------------------------------------------------------------

def conv_block(input_channels, growth_rate, conv_bias=False):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, 4 * growth_rate, kernel_size=1, bias=conv_bias),
        nn.BatchNorm2d(4 * growth_rate), nn.ReLU(),
        nn.Conv2d(4 * growth_rate, growth_rate, kernel_size=3, padding=1, bias=conv_bias))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, growth_rate, conv_bias=False):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(input_channels + i * growth_rate, growth_rate, conv_bias)
                                   for i in range(num_convs)])

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(input_channels, num_channels, conv_bias=False):
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1, bias=conv_bias),
        nn.AvgPool2d(kernel_size=2, stride=2))


def d2l_densenet(depth=121, growth_rate=32, num_classes=1000, conv_bias=False):
    b1 = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=conv_bias),
        nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    num_channels, blks = 64, []
    num_convs_in_dense_blocks = _blocks(depth)
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        blks.append(DenseBlock(num_convs, num_channels, growth_rate, conv_bias))
        num_channels += num_convs * growth_rate
        if i != len(num_convs_in_dense_blocks) - 1:
            blks.append(transition_block(num_channels, num_channels // 2, conv_bias))
            num_channels = num_channels // 2
    return nn.Sequential(
        b1, *blks,
        nn.BatchNorm2d(num_channels), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.Linear(num_channels, num_classes))
