"""A network with no layer modules at all: its weights live in an nn.ParameterDict and its forward calls
F.conv2d, F.max_pool2d and F.linear on them, as research code that ports a TensorFlow graph does. It
returns a dict with the feature map beside the logits (the feature map is on the way to the logits, not
an auxiliary head).
"""
import torch
import torch.nn.functional as F
from torch import nn


class FunctionalNet(nn.Module):
    def __init__(self, width=8, num_classes=5):
        super().__init__()
        self.w = nn.ParameterDict({
            "conv1": nn.Parameter(torch.randn(width, 3, 3, 3) * 0.1),
            "conv2": nn.Parameter(torch.randn(2 * width, width, 3, 3) * 0.1),
            "fc": nn.Parameter(torch.randn(num_classes, 2 * width) * 0.1),
        })
        self.fc_bias = nn.Parameter(torch.zeros(num_classes))

    def forward(self, x):
        x = F.relu(F.conv2d(x, self.w["conv1"], padding=1))
        features = F.relu(F.conv2d(F.max_pool2d(x, 2), self.w["conv2"], padding=1))
        logits = F.linear(features.mean((2, 3)), self.w["fc"], self.fc_bias)
        return {"features": features, "logits": logits}
