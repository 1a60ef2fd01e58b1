"""A hand-written two-stage ResNet, the network of tests/fixtures/residual_sum.yaml written as people write
it: the shortcut as an attribute, blocks in an nn.Sequential of any length (`blocks3`)."""
from torch import nn


class Basic(nn.Module):
    def __init__(self, cin, w, stride=1):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv2d(cin, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.c2 = nn.Sequential(nn.Conv2d(w, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w))
        self.proj = (nn.Sequential(nn.Conv2d(cin, w, 1, stride, bias=False), nn.BatchNorm2d(w))
                     if stride != 1 or cin != w else None)
        self.relu = nn.ReLU()

    def forward(self, x):
        s = x if self.proj is None else self.proj(x)
        return self.relu(self.c2(self.c1(x)) + s)


class Net(nn.Module):
    def __init__(self, blocks3=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.s2 = nn.Sequential(Basic(16, 16))
        self.s3 = nn.Sequential(Basic(16, 32, 2), *[Basic(32, 32) for _ in range(blocks3 - 1)])
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.s3(self.s2(self.stem(x))))
