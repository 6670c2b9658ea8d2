"""A character-level GPT, in the layout of the PyTorch minGPT(-ddp) example: dataclass
configs, nn.MultiheadAttention(batch_first=True) with a causal ``tril`` buffer, GELU MLP
blocks, a learned position-embedding Parameter, ``self.apply(self._init_weights)`` and
``p.data.normal_``, AdamW with decay/no-decay parameter groups from ``named_modules``, a
trainer that wraps steps in ``torch.set_grad_enabled(train)`` and
``torch.amp.autocast(..., enabled=use_amp)`` (GradScaler when on), ``zero_grad(set_to_none=
True)``, ``clip_grad_norm_``, and ``@torch.no_grad()`` generation with ``topk`` and
``multinomial``. The text is generated locally instead of downloaded."""
import argparse
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset

from local_data import char_text


@dataclass
class GPTConfig:
    model_type: str = 'gpt-nano'
    n_layer: int = None
    n_head: int = None
    n_embd: int = None
    vocab_size: int = 50257
    block_size: int = 1024
    embd_pdrop: float = 0.1
    resid_pdrop: float = 0.1
    attn_pdrop: float = 0.1


@dataclass
class OptimizerConfig:
    learning_rate: float = 3e-4
    weight_decay: float = 0.1


@dataclass
class TrainerConfig:
    max_epochs: int = None
    batch_size: int = None
    grad_norm_clip: float = None
    use_amp: bool = None
    max_steps: int = None


class MultiheadAttentionLayer(nn.Module):
    def __init__(self, config, device="cpu", dtype=torch.float32):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.resid_drop = nn.Dropout(config.resid_pdrop)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, device=device, dtype=dtype)
        self.register_buffer("mask", torch.tril(torch.ones(config.block_size, config.block_size))
                             .view(1, 1, config.block_size, config.block_size))
        self.attn = torch.nn.MultiheadAttention(
            embed_dim=config.n_embd, num_heads=config.n_head, dropout=config.attn_pdrop,
            batch_first=True, device=device, dtype=dtype)

    def forward(self, x):
        _, seq_size, _ = x.size()
        # a float mask is added to the scores: 0 keeps a position, -inf hides it
        mask = self.mask[0, 0, :seq_size, :seq_size]
        mask = torch.zeros_like(mask).masked_fill(mask == 0, float('-inf'))
        y = self.attn(x, x, x, attn_mask=mask)[0]
        y = self.resid_drop(self.c_proj(y))
        return y


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.ln2 = nn.LayerNorm(config.n_embd)
        self.attn = MultiheadAttentionLayer(config)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, 4 * config.n_embd),
            nn.GELU(),
            nn.Linear(4 * config.n_embd, config.n_embd),
            nn.Dropout(config.resid_pdrop),
        )

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return x


class EmbeddingStem(nn.Module):
    def __init__(self, config: GPTConfig, device="cpu", dtype=torch.float32):
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd, device=device, dtype=dtype)
        self.pos_emb = nn.Parameter(torch.zeros(1, config.block_size, config.n_embd,
                                                device=device, dtype=dtype))
        self.drop = nn.Dropout(config.embd_pdrop)
        self.block_size = config.block_size

    def forward(self, idx):
        b, t = idx.size()
        assert t <= self.block_size, f"Cannot forward sequence of length {t}"
        token_embeddings = self.tok_emb(idx)
        position_embeddings = self.pos_emb[:, :t, :]
        return self.drop(token_embeddings + position_embeddings)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.block_size = config.block_size
        config = self._set_model_config(config)
        self.emb_stem = EmbeddingStem(config)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                p.data.normal_(mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
        n_params = sum(p.numel() for p in self.blocks.parameters())
        print("number of parameters: %.2fM" % (n_params / 1e6,))

    def _set_model_config(self, config):
        type_given = config.model_type is not None
        params_given = all([config.n_layer is not None, config.n_head is not None,
                            config.n_embd is not None])
        if type_given and not params_given:
            config.__dict__.update({
                'gpt-micro': dict(n_layer=4, n_head=4, n_embd=128),
                'gpt-nano': dict(n_layer=3, n_head=3, n_embd=48),
            }[config.model_type])
        return config

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, idx, targets=None):
        x = self.emb_stem(idx)
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, do_sample=False, top_k=None):
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, top_k)
                logits[logits < v[:, [-1]]] = -float('Inf')
            probs = F.softmax(logits, dim=-1)
            if do_sample:
                idx_next = torch.multinomial(probs, num_samples=1)
            else:
                _, idx_next = torch.topk(probs, k=1, dim=-1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


def create_optimizer(model: torch.nn.Module, opt_config: OptimizerConfig):
    decay = set()
    no_decay = set()
    whitelist_weight_modules = (torch.nn.Linear, )
    blacklist_weight_modules = (torch.nn.LayerNorm, torch.nn.Embedding)
    for mn, m in model.named_modules():
        for pn, p in m.named_parameters():
            fpn = '%s.%s' % (mn, pn) if mn else pn
            if pn.endswith('bias'):
                no_decay.add(fpn)
            elif pn.endswith('weight') and isinstance(m, whitelist_weight_modules):
                decay.add(fpn)
            elif pn.endswith('in_proj_weight'):
                decay.add(fpn)
            elif pn.endswith('weight') and isinstance(m, blacklist_weight_modules):
                no_decay.add(fpn)
            elif pn.endswith('pos_emb'):
                no_decay.add(fpn)
    param_dict = {pn: p for pn, p in model.named_parameters()}
    inter_params = decay & no_decay
    union_params = decay | no_decay
    assert len(inter_params) == 0, "parameters %s in both sets" % (str(inter_params), )
    assert len(param_dict.keys() - union_params) == 0, \
        "parameters %s in neither set" % (str(param_dict.keys() - union_params), )
    optim_groups = [
        {"params": [param_dict[pn] for pn in sorted(list(decay))], "weight_decay": opt_config.weight_decay},
        {"params": [param_dict[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(optim_groups, lr=opt_config.learning_rate, betas=(0.9, 0.95))


class CharDataset(Dataset):
    def __init__(self, data, block_size):
        chars = sorted(list(set(data)))
        data_size, vocab_size = len(data), len(chars)
        print('Data has %d characters, %d unique.' % (data_size, vocab_size))
        self.stoi = {ch: i for i, ch in enumerate(chars)}
        self.itos = {i: ch for i, ch in enumerate(chars)}
        self.block_size = block_size
        self.vocab_size = vocab_size
        self.data = data

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, idx):
        chunk = self.data[idx:idx + self.block_size + 1]
        dix = [self.stoi[s] for s in chunk]
        x = torch.tensor(dix[:-1], dtype=torch.long)
        y = torch.tensor(dix[1:], dtype=torch.long)
        return x, y


class Trainer:
    def __init__(self, trainer_config, model, optimizer, train_dataset, test_dataset):
        self.config = trainer_config
        self.device_type = "cpu"
        self.model = model
        self.optimizer = optimizer
        self.train_loader = DataLoader(train_dataset, batch_size=self.config.batch_size,
                                       shuffle=True, pin_memory=True)
        self.test_loader = DataLoader(test_dataset, batch_size=self.config.batch_size)
        if self.config.use_amp:
            self.scaler = torch.amp.GradScaler(self.device_type)
        self.steps = 0

    def _run_batch(self, source, targets, train: bool = True) -> float:
        with torch.set_grad_enabled(train), torch.amp.autocast(
                device_type=self.device_type, dtype=torch.float16, enabled=(self.config.use_amp)):
            _, loss = self.model(source, targets)
        if train:
            self.optimizer.zero_grad(set_to_none=True)
            if self.config.use_amp:
                self.scaler.scale(loss).backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_norm_clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_norm_clip)
                self.optimizer.step()
        return loss.item()

    def _run_epoch(self, epoch: int, dataloader: DataLoader, train: bool = True):
        losses = []
        for iter, (source, targets) in enumerate(dataloader):
            step_type = "Train" if train else "Eval"
            batch_loss = self._run_batch(source, targets, train)
            losses.append(batch_loss)
            if iter % 20 == 0:
                print(f"Epoch {epoch} | Iter {iter} | {step_type} Loss {batch_loss:.5f}")
            if train:
                self.steps += 1
                if self.config.max_steps and self.steps >= self.config.max_steps:
                    break
        return sum(losses) / len(losses)

    def train(self):
        for epoch in range(self.config.max_epochs):
            self.model.train()
            self._run_epoch(epoch, self.train_loader, train=True)
            self.model.eval()
            test_loss = self._run_epoch(epoch, self.test_loader, train=False)
        return test_loss


def main():
    parser = argparse.ArgumentParser(description="char-level GPT")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--block-size", type=int, default=32)
    parser.add_argument("--max-steps", type=int, default=400)
    parser.add_argument("--use-amp", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.max_steps = 1, 120
    torch.manual_seed(1337)
    text = char_text(8000)
    split = int(len(text) * 0.9)
    train_set = CharDataset(text[:split], args.block_size)
    test_set = CharDataset(text[split:], args.block_size)
    test_set.stoi, test_set.itos = train_set.stoi, train_set.itos
    gpt_cfg = GPTConfig(model_type='gpt-nano', vocab_size=train_set.vocab_size,
                        block_size=args.block_size)
    model = GPT(gpt_cfg)
    optimizer = create_optimizer(model, OptimizerConfig(learning_rate=5e-3))
    trainer = Trainer(TrainerConfig(max_epochs=args.epochs, batch_size=32, grad_norm_clip=1.0,
                                    use_amp=args.use_amp, max_steps=args.max_steps),
                      model, optimizer, train_set, test_set)
    test_loss = trainer.train()
    context = "the "
    x = torch.tensor([train_set.stoi[s] for s in context], dtype=torch.long)[None, ...]
    y = model.generate(x, 40, temperature=1.0, do_sample=True, top_k=10)[0]
    print(''.join([train_set.itos[int(i)] for i in y]))
    print(f"RESULT test_loss={test_loss:.4f}")


if __name__ == "__main__":
    main()
