"""A two-layer graph convolutional network for node classification with a sparse,
symmetrically normalised adjacency (the layout of the PyTorch GCN example; a planted
two-community graph stands in for Cora)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


def planted_graph(n=300, classes=3, p_in=0.05, p_out=0.004, features=32, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    same = labels[:, None] == labels[None, :]
    adj = rng.random((n, n)) < np.where(same, p_in, p_out)
    adj = np.triu(adj, 1)
    adj = adj | adj.T
    centers = rng.standard_normal((classes, features))
    x = centers[labels] * 0.4 + rng.standard_normal((n, features))
    return x.astype(np.float32), adj, labels.astype(np.int64)


class GraphConv(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x, adj):
        support = torch.mm(x, self.weight)
        return torch.sparse.mm(adj, support) + self.bias


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass, dropout):
        super().__init__()
        self.gc1 = GraphConv(nfeat, nhid)
        self.gc2 = GraphConv(nhid, nclass)
        self.dropout = dropout

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        x = F.dropout(x, self.dropout, training=self.training)
        return F.log_softmax(self.gc2(x, adj), dim=1)


def accuracy(output, labels):
    preds = output.max(1)[1].type_as(labels)
    return preds.eq(labels).double().sum() / len(labels)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=200)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--weight_decay', type=float, default=5e-4)
    parser.add_argument('--hidden', type=int, default=16)
    parser.add_argument('--dropout', type=float, default=0.5)
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    if args.quick:
        args.epochs = 60
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    x_np, adj_np, labels_np = planted_graph()
    a = adj_np.astype(np.float32) + np.eye(len(adj_np), dtype=np.float32)
    d = 1.0 / np.sqrt(a.sum(1))
    a = a * d[:, None] * d[None, :]
    rows, cols = np.nonzero(a)
    adj = torch.sparse_coo_tensor(torch.from_numpy(np.stack([rows, cols]).astype(np.int64)),
                                  torch.from_numpy(a[rows, cols]), a.shape)
    features, labels = torch.from_numpy(x_np), torch.from_numpy(labels_np)
    idx_train, idx_test = torch.arange(0, 60), torch.arange(100, 300)
    model = GCN(features.shape[1], args.hidden, int(labels.max()) + 1, args.dropout)
    optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    for epoch in range(args.epochs):
        model.train()
        optimizer.zero_grad()
        output = model(features, adj)
        loss_train = F.nll_loss(output[idx_train], labels[idx_train])
        loss_train.backward()
        optimizer.step()
        if epoch % 20 == 0:
            print(f"Epoch: {epoch + 1:04d} loss_train: {loss_train.item():.4f} "
                  f"acc_train: {accuracy(output[idx_train], labels[idx_train]).item():.4f}")
    model.eval()
    output = model(features, adj)
    acc_test = accuracy(output[idx_test], labels[idx_test])
    print(f"Test set results: loss= {F.nll_loss(output[idx_test], labels[idx_test]).item():.4f} "
          f"accuracy= {acc_test.item():.4f}")
    print(f"RESULT accuracy={acc_test.item():.4f}")
