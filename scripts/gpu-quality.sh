#!/usr/bin/env bash
# On the GPU machine, from the repo root, with the kit (.gpu/) and the Fashion-MNIST IDX files
# (DATA, default .data/fashion-mnist) present: trains vq4j's conv VQ-VAE with the reference
# trainer's settings and evaluates it on the 10,000 test images; also checks that the CPU and
# CUDA backends give the same first-step loss from the same seed. Writes under OUT (default $OUT).
set -euo pipefail
DATA=${DATA:-.data/fashion-mnist}
OUT=${1:-${OUT:?give an output folder}}
STEPS=${STEPS:-2000}
mkdir -p "$OUT"
common=(--model vqvae --data fashion-mnist --fashion-dir "$DATA" --image-size 32 --batch 64 --seed 0
        --optimizer adam --weight-decay 0 --schedule constant --lr 1e-3 --val-fraction 0.02
        --no-kmeans-init --dead-code-threshold 0)   # the reference design's codebook, as train_reference.py
# same first-step loss on both backends (same seed, same initial weights, same first batch)
for be in cpu cuda; do
  bash .gpu/run.sh java -Dvq4j.checks=false io.vq4j.cli.Main train "${common[@]}" --backend $be --max-steps 1 \
    --epochs 1 --out "$OUT/first-$be" | grep "first-step loss" | tee "$OUT/first-$be.txt"
done
# the comparison run
bash .gpu/run.sh java -Dvq4j.checks=false io.vq4j.cli.Main train "${common[@]}" --backend cuda --max-steps "$STEPS" \
  --epochs 100 --images-every 100 --out "$OUT/vq4j-fmnist" | tee "$OUT/vq4j-train.log"
bash .gpu/run.sh java io.vq4j.cli.Main evaluate --model "$OUT/vq4j-fmnist/model.safetensors" --data fashion-mnist \
  --fashion-dir "$DATA" --split test --backend cuda --json "$OUT/vq4j-eval.json"
