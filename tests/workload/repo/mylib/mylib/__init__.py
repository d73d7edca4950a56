"""Helpers of the training project (installed with pip install -e)."""
import csv


def load_csv(path):
    """The rows of a CSV file with a header: features (all columns but the last) and targets."""
    features, targets = [], []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            values = [float(v) for v in row]
            features.append(values[:-1])
            targets.append(values[-1:])
    return features, targets
