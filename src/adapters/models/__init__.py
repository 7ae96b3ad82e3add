"""Causal language models for test-time training: the grid<->text codec, the project's tokenizer and
the transformers + peft backend. torch and transformers are imported lazily, inside the functions."""
