"""Models `verify --model` cannot check, each for another reason; each must give one clear line, exit 2."""
import torch
from torch import nn


class RaisesInInit(nn.Module):
    def __init__(self):
        super().__init__()
        raise ValueError("this model needs a config file")


class WrongInput(nn.Module):
    """Written for 32×32 images: its classifier does not fit a 224×224 input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 32 * 32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


class ReturnsNothing(nn.Module):
    def forward(self, x):
        return None


def not_a_model():
    return 42
