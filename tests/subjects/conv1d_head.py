"""A model with 1-D layers (an ECA-style channel attention and a 1-D conv over the flattened map): the
tables are 2-D, so every such layer differs from the paper, and saying so must not break archcheck."""
import torch.nn.functional as F
from torch import nn


class Conv1dNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv = nn.Conv1d(3, 64, 5, stride=2)
        self.pool = nn.MaxPool1d(3, 2)
        self.eca = nn.Conv1d(1, 1, 3, padding=1, bias=False)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x.flatten(2))))
        w = self.eca(x.mean(2, keepdim=True).transpose(1, 2)).transpose(1, 2).sigmoid()
        return self.fc((x * w).mean(2))
