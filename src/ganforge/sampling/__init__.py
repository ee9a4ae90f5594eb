"""Sampling a trained GAN with its discriminator: rejection (DRS), Metropolis-Hastings, latent Langevin."""
