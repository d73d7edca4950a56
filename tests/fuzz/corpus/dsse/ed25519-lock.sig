{
  "payload": "eyJlbnZsb2NrIjogMiwgImZpbmdlcnByaW50IjogInNoYTI1NjowMCJ9Cg==",
  "payloadType": "application/vnd.envlock.lock+json",
  "signatures": [
    {
      "keyid": "0947403fb887babb4c0fb66b0765fc75a4e86a7fed1d0c4a9f40f5b17dce945c",
      "sig": "H4kj62Hx9Rjutb5FeWKXX+fMqTIrn5amBSwOJanFCy0O/s/qB8jVSQy3m0emLQLLI9rMWCVXwDN52vyTav4mAA=="
    }
  ]
}
