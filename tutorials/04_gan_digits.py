# %% [markdown]
# # Tutorial 4: a generative adversarial network (GAN) that learns to draw digits
#
# A Jupyter notebook in percent format, and a plain script:
#
#     python tutorials/04_gan_digits.py            # about 10 s on 2 cores
#     python tutorials/04_gan_digits.py --quick    # one epoch (what the tests run)
#
# Two networks play a game (examples/gan_digits.py has the training loop: read it
# next to this text):
#
# * the generator G maps 32 random numbers to an 8x8 image (MLP, tanh output in [-1, 1]);
# * the discriminator D maps an image to one logit: "real" (> 0) or "fake".
#
# Each step first trains D on a real batch (label 0.9: "one-sided label
# smoothing", which keeps D from growing overconfident and G from collapsing onto
# a few shapes) and a generated batch (label 0), using `fake.detach()` so that D's
# loss does not reach G's weights. Then it trains G to make D say 1 on its
# samples (the "non-saturating" loss). Both losses are binary cross-entropy on
# logits.
#
# What it reaches: after 100 epochs (about 10 s) neither side wins. On the
# development machine D's loss was 1.18 and G's 1.08; a D that could not tell
# real from fake at all would sit near 2·log 2 ≈ 1.39. The sample grid shows
# recognisable, varied digits (0, 2, 3, 5, 6, 9 ...), blurry at 8x8. The grid is
# written as a PNG by fastnn.utils.image.save_png, so no matplotlib is needed:
# tutorial_out/gan_samples.png (40 samples, 10 per row).

# %%
import os

import fastnn

from _common import import_example, options

args = options("Tutorial 4: a GAN on the digits")
fastnn.manual_seed(0)

# %% [markdown]
# ## Train both networks (examples/gan_digits.py) and draw 40 samples

# %%
os.makedirs(args.out, exist_ok=True)
path = os.path.join(args.out, "gan_samples.png")
gan = import_example("gan_digits")
samples = gan.main(["--out", path] + (["--quick"] if args.quick else []))

# %% [markdown]
# ## What it reached

# %%
print(f"reached: {len(samples)} generated 8x8 digits, pixel range "
      f"[{samples.min():.2f}, {samples.max():.2f}], grid image at {path}")
