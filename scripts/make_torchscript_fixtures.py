#!/usr/bin/env python3
"""Write the TorchScript test fixtures into OUTDIR.

Usage: .venv/bin/python scripts/make_torchscript_fixtures.py OUTDIR

The tests under tests/torchscript_*.rs run this script and expect these files
with exactly these shapes (per sample, without the batch dimension):

  mlp_tuple.pt        torch.jit.trace of an MLP. Input float32 [16]. Returns
                      the tuple (logits [4], embedding [8]).
  tokens_dict.pt      torch.jit.script of a token model. Input int64 [12],
                      token ids below 32. Returns the dict
                      {"logits": [4], "token_states": [12, 16]}.
  frozen.pt           The traced MLP with requires_grad=False on every
                      parameter, so nothing in it can be trained.
  fixed_batch.pt      An MLP traced with its batch size (8) written into a
                      reshape, so any other batch size fails in forward.
  not_torchscript.pt  A torch.save state dict: a real PyTorch file that is
                      not a TorchScript module.

Every module returns outputs that own their storage, so that the bytes a
strategy keeps equal what the CPU allocator sees.
"""

import sys
import warnings
from pathlib import Path
from typing import Dict

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch  # noqa: E402
from torch import nn  # noqa: E402

FEATURES = 16
EMBEDDING = 8
CLASSES = 4
SEQUENCE_LENGTH = 12
VOCABULARY = 32
TOKEN_WIDTH = 16
FIXED_BATCH = 8


class TupleMlp(nn.Module):
    """Two linear layers that return the logits and the hidden embedding."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(FEATURES, EMBEDDING)
        self.head = nn.Linear(EMBEDDING, CLASSES)

    def forward(self, x: torch.Tensor):
        embedding = torch.relu(self.hidden(x))
        return self.head(embedding), embedding


class TokenDict(nn.Module):
    """Token embedding and a linear head over the mean token state."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, TOKEN_WIDTH)
        self.mix = nn.Linear(TOKEN_WIDTH, TOKEN_WIDTH)
        self.head = nn.Linear(TOKEN_WIDTH, CLASSES)

    def forward(self, tokens: torch.Tensor) -> Dict[str, torch.Tensor]:
        token_states = torch.tanh(self.mix(self.embedding(tokens)))
        logits = self.head(token_states.mean(dim=1))
        return {"logits": logits, "token_states": token_states}


class FixedBatchMlp(nn.Module):
    """Reshapes with a literal batch size, as code written for one batch size does."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(FEATURES, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.reshape(FIXED_BATCH, FEATURES))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    features = torch.zeros(2, FEATURES)
    torch.jit.trace(TupleMlp(), features).save(str(out / "mlp_tuple.pt"))

    torch.jit.script(TokenDict()).save(str(out / "tokens_dict.pt"))

    frozen = TupleMlp()
    for parameter in frozen.parameters():
        parameter.requires_grad_(False)
    torch.jit.trace(frozen, features).save(str(out / "frozen.pt"))

    fixed = torch.jit.trace(FixedBatchMlp(), torch.zeros(FIXED_BATCH, FEATURES))
    fixed.save(str(out / "fixed_batch.pt"))

    torch.save(TupleMlp().state_dict(), out / "not_torchscript.pt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
