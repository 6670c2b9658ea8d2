"""A GAN on the bundled digits: a generator and a discriminator trained against each other.

    python examples/gan_digits.py [--epochs N] [--quick] [--out gan_samples.png]

The generator maps 32-d noise to an 8x8 image (MLP, tanh output); the
discriminator scores images (MLP, one logit). Two Adam optimizers, the
non-saturating loss with BCE-with-logits, one-sided label smoothing (real
targets 0.9, which keeps the discriminator from becoming overconfident and the
generator from collapsing onto a few shapes), and ``detach()`` so that the
discriminator's step does not backpropagate into the generator. Samples of
the final generator are saved as an image grid PNG (no matplotlib needed).
"""
import argparse

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.datasets import load_digits
from fastnn.utils.image import make_grid, save_png

NOISE = 32


def build():
    generator = nn.Sequential(
        nn.Linear(NOISE, 128), nn.LeakyReLU(0.2),
        nn.Linear(128, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 64), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Linear(64, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(256, 128), nn.LeakyReLU(0.2),
        nn.Linear(128, 1))
    return generator, discriminator


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="gan_samples.png")
    args = parser.parse_args(argv)
    fastnn.manual_seed(0)
    images, _ = load_digits("all")
    real_all = images.reshape(len(images), -1) * 2 - 1          # [-1, 1] to match tanh
    epochs = 1 if args.quick else args.epochs
    batch = 64
    G, D = build()
    opt_g = fastnn.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = fastnn.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    ones, zeros = fastnn.ones(batch, 1), fastnn.zeros(batch, 1)
    smooth = fastnn.full((batch, 1), 0.9)
    for epoch in range(epochs):
        order = rng.permutation(len(real_all))
        d_total = g_total = 0.0
        steps = len(order) // batch
        for s in range(steps):
            real = fastnn.from_numpy(real_all[order[s * batch:(s + 1) * batch]])
            fake = G(fastnn.randn(batch, NOISE))
            # discriminator: real -> 0.9, fake -> 0; detach keeps G out of this step
            opt_d.zero_grad()
            d_loss = (F.binary_cross_entropy_with_logits(D(real), smooth)
                      + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
            d_loss.backward()
            opt_d.step()
            # generator: make D call its samples real
            opt_g.zero_grad()
            g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
            g_loss.backward()
            opt_g.step()
            d_total += d_loss.item()
            g_total += g_loss.item()
        if epoch % 10 == 9 or epoch == epochs - 1:
            print(f"epoch {epoch + 1}: D loss {d_total / steps:.3f}  G loss {g_total / steps:.3f}")
    G.eval()
    with fastnn.no_grad():
        samples = G(fastnn.randn(40, NOISE)).numpy().reshape(-1, 8, 8)
    save_png(args.out, make_grid((samples + 1) / 2, nrow=10, scale=4))
    print(f"40 generated digits saved to {args.out}")
    return samples


if __name__ == "__main__":
    main()
