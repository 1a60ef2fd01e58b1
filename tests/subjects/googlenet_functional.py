"""A GoogLeNet with a purely functional forward: the weights live in one nn.ParameterDict and every op is a
torch / F call, written with keyword arguments and the numpy-style aliases PyTorch accepts
(F.conv2d(input=..., weight=...), torch.cat(xs, axis=1), torch.concatenate, torch.concat,
F.relu(input=...), F.linear(input=...), a global pool as x.mean(dim=(2, 3))). Outputs in a dict,
auxiliary heads first. Table 1 with Figure 3's LRN layers and Section 5's auxiliary classifiers.
"""
import torch
import torch.nn.functional as F
from torch import nn

MODULES = [  # name, c1, r3, c3, r5, c5, pool proj (Table 1); "pool" = max pool 3×3/2 before it
    ("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64), ("pool", 0, 0, 0, 0, 0, 0),
    ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64), ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64), ("4e", 256, 160, 320, 32, 128, 128), ("pool", 0, 0, 0, 0, 0, 0),
    ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128),
]
JOIN = {"3a": torch.cat, "3b": torch.concat, "4a": torch.concatenate}   # every way PyTorch spells it


class FunctionalGoogLeNet(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.p = nn.ParameterDict()
        self.add_conv("conv1", 3, 64, 7)
        self.add_conv("conv2", 64, 64, 1)
        self.add_conv("conv3", 64, 192, 3)
        cin = 192
        for name, c1, r3, c3, r5, c5, pp in MODULES:
            if name == "pool":
                continue
            self.add_conv(f"{name}_1x1", cin, c1, 1)
            self.add_conv(f"{name}_3x3r", cin, r3, 1)
            self.add_conv(f"{name}_3x3", r3, c3, 3)
            self.add_conv(f"{name}_5x5r", cin, r5, 1)
            self.add_conv(f"{name}_5x5", r5, c5, 5)
            self.add_conv(f"{name}_proj", cin, pp, 1)
            cin = c1 + c3 + c5 + pp
        for aux, c in (("aux1", 512), ("aux2", 528)):
            self.add_conv(f"{aux}_conv", c, 128, 1)
            self.add_linear(f"{aux}_fc1", 2048, 1024)
            self.add_linear(f"{aux}_fc2", 1024, classes)
        self.add_linear("fc", 1024, classes)

    def add_conv(self, name, cin, cout, k):
        self.p[f"{name}_w"] = nn.Parameter(torch.empty(cout, cin, k, k))
        self.p[f"{name}_b"] = nn.Parameter(torch.zeros(cout))

    def add_linear(self, name, fin, fout):
        self.p[f"{name}_w"] = nn.Parameter(torch.empty(fout, fin))
        self.p[f"{name}_b"] = nn.Parameter(torch.zeros(fout))

    def conv(self, x, name, stride=1):
        w = self.p[f"{name}_w"]
        return F.relu(input=F.conv2d(input=x, weight=w, bias=self.p[f"{name}_b"], stride=stride,
                                     padding=w.shape[-1] // 2))

    def linear(self, x, name):
        return F.linear(input=x, weight=self.p[f"{name}_w"], bias=self.p[f"{name}_b"])

    def inception(self, x, name):
        branches = [
            self.conv(x, f"{name}_1x1"),
            self.conv(self.conv(x, f"{name}_3x3r"), f"{name}_3x3"),
            self.conv(self.conv(x, f"{name}_5x5r"), f"{name}_5x5"),
            self.conv(F.max_pool2d(input=x, kernel_size=3, stride=1, padding=1), f"{name}_proj"),
        ]
        return JOIN.get(name, torch.cat)(branches, axis=1)

    def aux(self, x, name):
        x = F.avg_pool2d(input=x, kernel_size=5, stride=3)
        x = self.conv(x, f"{name}_conv").reshape(x.shape[0], -1)
        x = F.dropout(F.relu(self.linear(x, f"{name}_fc1")), p=0.7, training=self.training)
        return self.linear(x, f"{name}_fc2")

    def forward(self, x):
        out = {}
        x = F.max_pool2d(self.conv(x, "conv1", stride=2), kernel_size=3, stride=2, padding=1)
        x = F.local_response_norm(x, size=5, alpha=1e-4, beta=0.75, k=1.0)
        x = self.conv(self.conv(x, "conv2"), "conv3")
        x = F.local_response_norm(x, size=5, alpha=1e-4, beta=0.75, k=1.0)
        x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
        for name, *_ in MODULES:
            if name == "pool":
                x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
                continue
            x = self.inception(x, name)
            if name == "4a" and self.training:
                out["aux1"] = self.aux(x, "aux1")
            if name == "4d" and self.training:
                out["aux2"] = self.aux(x, "aux2")
        x = x.mean(dim=(2, 3))
        out["logits"] = self.linear(F.dropout(x, p=0.4, training=self.training), "fc")
        return out
