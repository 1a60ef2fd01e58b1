"""A small CIFAR-10 classifier the way a first tutorial notebook writes it: layers as attributes, one
pool module used twice, a functional forward with F.relu and a hard-coded x.view(-1, 32 * 8 * 8), so it
runs on 3×32×32 images only.
"""
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(32 * 8 * 8, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))   # 16 x 16 x 16
        x = self.pool(F.relu(self.conv2(x)))              # 32 x 8 x 8
        x = x.view(-1, 32 * 8 * 8)
        x = F.relu(self.fc1(x))
        return self.fc2(x)
