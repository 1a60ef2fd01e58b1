"""A two-stream network as video and RGB-D code writes it: a stem module returns two tensors (a tuple),
each stream has its own conv, the streams are concatenated, and the forward returns `(features, logits)`
with the feature map first.
"""
import torch
from torch import nn


class SplitStem(nn.Module):
    """Channel 0-1 and channel 2 of the input as two streams."""

    def forward(self, x):
        return x[:, :2], x[:, 2:]


class TwoStream(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.split = SplitStem()
        self.left = nn.Conv2d(2, 6, 3, padding=1)
        self.right = nn.Conv2d(1, 2, 3, padding=1)
        self.head = nn.Linear(8, num_classes)

    def forward(self, x):
        a, b = self.split(x)
        features = torch.cat([self.left(a), self.right(b)], 1)
        return features, self.head(features.mean((2, 3)))
