"""Probes of the machine: psutil for CPU and RAM, torch.cuda (imported lazily) for GPUs."""
