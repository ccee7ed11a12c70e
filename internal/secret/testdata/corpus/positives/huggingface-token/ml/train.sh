#!/bin/sh
export HF_TOKEN=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
python train.py
