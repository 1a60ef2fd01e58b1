"""GoogLeNet for CIFAR-10 (3×32×32 images), the way small-image training repositories adapt it: the
ImageNet stem (7×7/2 conv, max pool, LRN, 1×1 + 3×3 convs, LRN, max pool: 224 → 28) is replaced by
three stride-1 convs that keep the 32×32 grid, and everything after the stem is Table 1 as printed:
nine Inception modules with their filter counts, the max pools between stages, both auxiliary heads
(5×5/3 average pool → 1×1 conv 128 → fc 1024 → dropout 0.7 → fc) and a global average pool before the
classifier. At 32×32 the grid is 32 for 3a-3b, 16 for 4a-4e, 8 for 5a-5b, and the auxiliary heads' pool
gives 4×4, as at 224 (14 → 4).

The modules are built from a table of filter counts, and the forward pass returns `(logits, aux)` in
training where aux is a tuple of the two auxiliary outputs. `pool_padding=0` is a slip seen in ports:
the max pools between stages without padding, which at 32×32 gives 15×15 where the paper's pool
(padded) gives 16×16.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = {  # name: (in, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


def conv_relu(cin, cout, k, **kw):
    return nn.Sequential(nn.Conv2d(cin, cout, k, **kw), nn.ReLU(inplace=True))


class Mixed(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, cp):
        super().__init__()
        self.b1 = conv_relu(cin, c1, 1)
        self.b3 = nn.Sequential(conv_relu(cin, c3r, 1), conv_relu(c3r, c3, 3, padding=1))
        self.b5 = nn.Sequential(conv_relu(cin, c5r, 1), conv_relu(c5r, c5, 5, padding=2))
        self.bp = conv_relu(cin, cp, 1)

    def forward(self, x):
        pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(pooled)], dim=1)


class AuxHead(nn.Module):
    def __init__(self, cin, num_classes):
        super().__init__()
        self.proj = conv_relu(cin, 128, 1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.proj(F.avg_pool2d(x, 5, stride=3))
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(F.dropout(x, 0.7, self.training))


class CifarGoogLeNet(nn.Module):
    def __init__(self, num_classes=10, pool_padding=1):
        super().__init__()
        self.pool_padding = pool_padding
        self.stem = nn.Sequential(conv_relu(3, 64, 3, padding=1), conv_relu(64, 64, 1),
                                  conv_relu(64, 192, 3, padding=1))
        self.blocks = nn.ModuleDict({name: Mixed(*cfg) for name, cfg in CFG.items()})
        self.aux_a = AuxHead(512, num_classes)
        self.aux_b = AuxHead(528, num_classes)
        self.head = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.stem(x)
        aux = []
        for name, block in self.blocks.items():
            if name in ("4a", "5a"):
                x = F.max_pool2d(x, 3, stride=2, padding=self.pool_padding)
            x = block(x)
            if self.training and name == "4a":
                aux.append(self.aux_a(x))
            if self.training and name == "4d":
                aux.append(self.aux_b(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        logits = self.head(F.dropout(x, 0.4, self.training))
        return (logits, tuple(aux)) if self.training else logits
