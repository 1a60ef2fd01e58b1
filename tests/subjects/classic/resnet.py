"""ResNet (arXiv 1512.03385, Table 1) written five ways, as test subjects for `archcheck verify --model`.

Every style builds depth 18, 34 (basic blocks) or 50, 101, 152 (bottlenecks), chosen by `depth`. A `layers`
option, a comma-separated string such as "3,4,5,3", replaces Table 1's block counts: a DEVIATION for
checking that a verifier counts blocks. Table 1 leaves open which conv of a bottleneck carries the stride:
"v1" (the authors' Caffe release) strides the first 1x1, "v1.5" (torchvision, timm) strides the 3x3.

`resnet` / `resnet18` ... `resnet152`  (class `ResNet`, blocks `BasicBlock`, `Bottleneck`)  torchvision style
    `expansion`, `_make_layer`, `downsample` = nn.Sequential(conv1x1, BatchNorm2d), AdaptiveAvgPool2d + fc.
      stride_in_1x1=True   v1: stride on the first 1x1 of a bottleneck (default False: v1.5, on the 3x3)
      shortcut="C"         DEVIATION: a projection on every block (the paper's option C; default "B":
                           projections only where the shape changes)
      zero_init_residual, num_classes, layers

`CaffeResNet`  the authors' released model, as ported from Caffe (v1)
    Blocks named res2a, res2b, ... (res4b1 ... res4b22 for 101/152) with branch1 / branch2a-c and
    bn_branch* children; max pool with ceil_mode=True and no padding; AvgPool2d(7) + fc1000.
      branch1_bn=False     DEVIATION: projection shortcuts without their BatchNorm
      depth, num_classes, layers

`tutorial_resnet`  (class `TutorialResNet`, blocks `ResidualBlock`, `BottleneckBlock`)  CIFAR-tutorial style
    `self.shortcut = nn.Sequential()` for identity, F.relu calls, F.avg_pool2d over the last map and
    `out.view(out.size(0), -1)`; stride on the 3x3 (v1.5).
      option="A"           the paper's option A: zero-padding identity shortcuts (strided slicing + F.pad),
                           parameter-free (default "B": 1x1 projection + BN where the shape changes)
      depth, num_classes, layers

`timm_resnet`  (class `TimmResNet`, blocks `TimmBasic`, `TimmBottleneck`)  timm style
    `ConvNormAct` helpers, `stem` / `stem_pool` / `stages`, `forward_features` / `forward_head`, `drop_rate`
    (dropout before fc) and `drop_path_rate` (stochastic depth); stride on the 3x3 (v1.5).
      stem_type="deep"     DEVIATION: three 3x3 convs (32, 32, 64) instead of the 7x7 stem (ResNet-C/D)
      avg_down=True        DEVIATION: shortcut AvgPool2d(2) + 1x1 conv of stride 1 (ResNet-D)
      depth, num_classes, layers

`ResNetBackbone`  generic units and an odd return
    Each block is a `Unit` holding ModuleLists of convs and norms walked in a loop, the shortcut computed
    first; forward returns `(pooled_features, logits)`, or with returns="dict" a dict of the four stage
    maps c2-c5 and the logits.
      stride_at="1x1"      v1 (default "3x3": v1.5)
      maxpool=False        DEVIATION: no 3x3 max pool after conv1 (stage maps twice as large)
      returns="dict" | "tuple", depth, num_classes, layers
"""
import torch
import torch.nn.functional as F
from torch import nn

BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def _layers(depth, layers=None):
    if depth not in BLOCKS:
        raise ValueError(f"unsupported depth {depth}; expected one of {sorted(BLOCKS)}")
    if layers is None:
        return list(BLOCKS[depth])
    if isinstance(layers, str):
        layers = [int(v) for v in layers.replace(" ", "").split(",")]
    return list(layers)


# -- torchvision style ---------------------------------------------------------------------------------

def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, stride_in_1x1=False):  # no 1x1 here
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, stride_in_1x1=False):
        super().__init__()
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = conv1x1(inplanes, planes, s1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, s3)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, stride_in_1x1=False, shortcut="B",
                 zero_init_residual=False):
        super().__init__()
        if shortcut not in ("B", "C"):
            raise ValueError(f"shortcut must be 'B' or 'C', not {shortcut!r}")
        self.inplanes = 64
        self.shortcut = shortcut
        self.stride_in_1x1 = stride_in_1x1
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:   # each block starts as an identity
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _projection(self, planes, stride):
        return nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))

    def _make_layer(self, block, planes, blocks, stride=1):
        out = planes * block.expansion
        downsample = None
        if self.shortcut == "C" or stride != 1 or self.inplanes != out:
            downsample = self._projection(out, stride)
        layers = [block(self.inplanes, planes, stride, downsample, self.stride_in_1x1)]
        self.inplanes = out
        for _ in range(1, blocks):
            extra = self._projection(out, 1) if self.shortcut == "C" else None
            layers.append(block(self.inplanes, planes, downsample=extra, stride_in_1x1=self.stride_in_1x1))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


def resnet(depth=50, layers=None, **kwargs):
    block = BasicBlock if depth < 50 else Bottleneck
    return ResNet(block, _layers(depth, layers), **kwargs)


def resnet18(**kwargs):
    return resnet(18, **kwargs)


def resnet34(**kwargs):
    return resnet(34, **kwargs)


def resnet50(**kwargs):
    return resnet(50, **kwargs)


def resnet101(**kwargs):
    return resnet(101, **kwargs)


def resnet152(**kwargs):
    return resnet(152, **kwargs)


# -- Caffe port (v1) -----------------------------------------------------------------------------------

def _caffe_names(stage, n):
    """Block names of the released prototxts: res2a, res2b, res2c; past six blocks res4a, res4b1, res4b2, ..."""
    if n <= 6:
        return [f"res{stage}{'abcdef'[i]}" for i in range(n)]
    return [f"res{stage}a"] + [f"res{stage}b{i}" for i in range(1, n)]


class CaffeUnit(nn.Module):
    def __init__(self, cin, mid, cout, stride, bottleneck, branch1_bn=True):
        super().__init__()
        if stride != 1 or cin != cout:
            self.branch1 = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.bn_branch1 = nn.BatchNorm2d(cout) if branch1_bn else nn.Identity()
        else:
            self.branch1 = None
        if bottleneck:   # stride on branch2a, the first 1x1, as in the authors' ResNet-50/101/152
            shapes = [(cin, mid, 1, stride), (mid, mid, 3, 1), (mid, cout, 1, 1)]
        else:
            shapes = [(cin, cout, 3, stride), (cout, cout, 3, 1)]
        self.names = [f"branch2{'abc'[i]}" for i in range(len(shapes))]
        for name, (i, o, k, s) in zip(self.names, shapes):
            setattr(self, name, nn.Conv2d(i, o, k, s, k // 2, bias=False))
            setattr(self, f"bn_{name}", nn.BatchNorm2d(o))

    def forward(self, x):
        short = x if self.branch1 is None else self.bn_branch1(self.branch1(x))
        for i, name in enumerate(self.names):
            x = getattr(self, f"bn_{name}")(getattr(self, name)(x))
            if i < len(self.names) - 1:
                x = F.relu(x, inplace=True)
        return F.relu(x + short, inplace=True)


class CaffeResNet(nn.Module):
    def __init__(self, depth=50, num_classes=1000, layers=None, branch1_bn=True):
        super().__init__()
        bottleneck = depth >= 50
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn_conv1 = nn.BatchNorm2d(64)
        self.pool1 = nn.MaxPool2d(3, 2, padding=0, ceil_mode=True)
        self.blocks = []
        cin = 64
        for stage, (width, n) in enumerate(zip((64, 128, 256, 512), _layers(depth, layers)), start=2):
            cout = width * 4 if bottleneck else width
            for i, name in enumerate(_caffe_names(stage, n)):
                stride = 2 if i == 0 and stage > 2 else 1
                self.add_module(name, CaffeUnit(cin, width, cout, stride, bottleneck, branch1_bn))
                self.blocks.append(name)
                cin = cout
        self.pool5 = nn.AvgPool2d(7, stride=1)
        self.fc1000 = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn_conv1(self.conv1(x))))
        for name in self.blocks:
            x = getattr(self, name)(x)
        x = self.pool5(x)
        return self.fc1000(x.view(x.size(0), -1))


# -- CIFAR-tutorial style moved to ImageNet, options A and B -------------------------------------------

class LambdaLayer(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _shortcut(in_planes, out_planes, stride, option):
    if stride == 1 and in_planes == out_planes:
        return nn.Sequential()
    if option == "A":
        # identity on every other pixel, the new channels zero: no parameters
        pad = (out_planes - in_planes) // 2
        return LambdaLayer(lambda x: F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, pad, pad), "constant", 0))
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False),
                         nn.BatchNorm2d(out_planes))


class ResidualBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1, option="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _shortcut(in_planes, planes, stride, option)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return F.relu(out)


class BottleneckBlock(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1, option="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.expansion * planes)
        self.shortcut = _shortcut(in_planes, self.expansion * planes, stride, option)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


class TutorialResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=1000, option="B"):
        super().__init__()
        if option not in ("A", "B"):
            raise ValueError(f"option must be 'A' or 'B', not {option!r}")
        self.in_planes = 64
        self.option = option
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(block, 64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(block, 512, num_blocks[3], stride=2)
        self.linear = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for s in strides:
            layers.append(block(self.in_planes, planes, s, self.option))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.max_pool2d(out, kernel_size=3, stride=2, padding=1)
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        out = F.avg_pool2d(out, out.size(3))
        out = out.view(out.size(0), -1)
        return self.linear(out)


def tutorial_resnet(depth=34, option="B", layers=None, num_classes=1000):
    block = ResidualBlock if depth < 50 else BottleneckBlock
    return TutorialResNet(block, _layers(depth, layers), num_classes, option)


# -- timm style ----------------------------------------------------------------------------------------

class ConvNormAct(nn.Sequential):
    def __init__(self, cin, cout, kernel_size=3, stride=1, apply_act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU(inplace=True) if apply_act else nn.Identity()


class DropPath(nn.Module):
    """Stochastic depth: drops the whole residual branch of a sample (timm's drop_path)."""

    def __init__(self, p=0.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class TimmBasic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None, drop_path=0.0):
        super().__init__()
        self.conv1 = ConvNormAct(cin, planes, 3, stride)
        self.conv2 = ConvNormAct(planes, planes, 3, apply_act=False)
        self.drop_path = DropPath(drop_path)
        self.downsample = downsample
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.conv2(self.conv1(x))
        return self.act(self.drop_path(x) + shortcut)


class TimmBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None, drop_path=0.0):
        super().__init__()
        self.conv1 = ConvNormAct(cin, planes, 1)
        self.conv2 = ConvNormAct(planes, planes, 3, stride)
        self.conv3 = ConvNormAct(planes, planes * 4, 1, apply_act=False)
        self.drop_path = DropPath(drop_path)
        self.downsample = downsample
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.conv3(self.conv2(self.conv1(x)))
        return self.act(self.drop_path(x) + shortcut)


class TimmResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, drop_rate=0.0, drop_path_rate=0.0, stem_type="",
                 avg_down=False):
        super().__init__()
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        if stem_type == "deep":
            self.stem = nn.Sequential(ConvNormAct(3, 32, 3, 2), ConvNormAct(32, 32, 3), ConvNormAct(32, 64, 3))
        elif stem_type == "":
            self.stem = ConvNormAct(3, 64, 7, 2)
        else:
            raise ValueError(f"stem_type must be '' or 'deep', not {stem_type!r}")
        self.stem_pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        total, index, cin = sum(layers), 0, 64
        stages = []
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            cout = planes * block.expansion
            blocks = []
            for j in range(n):
                down = None
                if j == 0 and (stride != 1 or cin != cout):
                    down = self._downsample(cin, cout, stride, avg_down)
                dpr = drop_path_rate * index / max(total - 1, 1)   # linear decay rule
                blocks.append(block(cin, planes, stride if j == 0 else 1, down, dpr))
                cin, index = cout, index + 1
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.num_features = cin
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(self.num_features, num_classes)

    @staticmethod
    def _downsample(cin, cout, stride, avg_down):
        if avg_down:
            pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
            return nn.Sequential(pool, ConvNormAct(cin, cout, 1, 1, apply_act=False))
        return ConvNormAct(cin, cout, 1, stride, apply_act=False)

    def forward_features(self, x):
        x = self.stem(x)
        x = self.stem_pool(x)
        return self.stages(x)

    def forward_head(self, x, pre_logits=False):
        x = self.flatten(self.global_pool(x))
        if self.drop_rate:
            x = F.dropout(x, p=float(self.drop_rate), training=self.training)
        return x if pre_logits else self.fc(x)

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


def timm_resnet(depth=50, layers=None, **kwargs):
    block = TimmBasic if depth < 50 else TimmBottleneck
    return TimmResNet(block, _layers(depth, layers), **kwargs)


# -- generic units, odd return -------------------------------------------------------------------------

class Unit(nn.Module):
    """A residual unit described by a list of (kernel, cin, cout, stride) convs."""

    def __init__(self, convs, project=None):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(i, o, k, s, k // 2, bias=False) for k, i, o, s in convs)
        self.norms = nn.ModuleList(nn.BatchNorm2d(o) for _, _, o, _ in convs)
        self.project = None
        if project is not None:
            cin, cout, stride = project
            self.project = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.project_norm = nn.BatchNorm2d(cout)

    def forward(self, x):
        skip = x if self.project is None else self.project_norm(self.project(x))
        last = len(self.convs) - 1
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            x = norm(conv(x))
            if i != last:
                x = F.relu(x)
        return F.relu(torch.add(x, skip))


class ResNetBackbone(nn.Module):
    def __init__(self, depth=50, num_classes=1000, stride_at="3x3", maxpool=True, returns="tuple", layers=None):
        super().__init__()
        if stride_at not in ("1x1", "3x3") or returns not in ("tuple", "dict"):
            raise ValueError("stride_at is '1x1' or '3x3'; returns is 'tuple' or 'dict'")
        self.returns = returns
        self.stem = nn.ModuleDict({"conv": nn.Conv2d(3, 64, 7, 2, 3, bias=False), "norm": nn.BatchNorm2d(64)})
        self.maxpool = maxpool
        bottleneck = depth >= 50
        cin = 64
        self.stages = nn.ModuleList()
        for i, (w, n) in enumerate(zip((64, 128, 256, 512), _layers(depth, layers))):
            cout = w * 4 if bottleneck else w
            units = []
            for j in range(n):
                s = 2 if i > 0 and j == 0 else 1
                if bottleneck:
                    s1, s3 = (s, 1) if stride_at == "1x1" else (1, s)
                    convs = [(1, cin, w, s1), (3, w, w, s3), (1, w, cout, 1)]
                else:
                    convs = [(3, cin, w, s), (3, w, w, 1)]
                units.append(Unit(convs, (cin, cout, s) if s != 1 or cin != cout else None))
                cin = cout
            self.stages.append(nn.Sequential(*units))
        self.head = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = F.relu(self.stem["norm"](self.stem["conv"](x)))
        if self.maxpool:
            x = F.max_pool2d(x, 3, 2, 1)
        maps = {}
        for i, stage in enumerate(self.stages, start=2):
            x = stage(x)
            maps[f"c{i}"] = x
        pooled = F.adaptive_avg_pool2d(x, 1).flatten(1)
        logits = self.head(pooled)
        if self.returns == "dict":
            return {**maps, "logits": logits}
        return pooled, logits
