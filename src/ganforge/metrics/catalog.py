"""Imports every module that registers an evaluator in metrics.evaluate.EVALUATORS."""
