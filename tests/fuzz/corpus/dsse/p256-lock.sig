{
  "payload": "eyJlbnZsb2NrIjogMiwgImZpbmdlcnByaW50IjogInNoYTI1NjowMCJ9Cg==",
  "payloadType": "application/vnd.envlock.lock+json",
  "signatures": [
    {
      "keyid": "24e955e7a5e0e7e6a275607a6dcb0ac7d17598bc9b9eca824d7d6905d1e38544",
      "sig": "MEYCIQCKazmCOUIiW9jnT5kzh+oiad7de5QdiBGyrDaXoKQZ4QIhAPY3wRqL6KIdN2RGvBZMccuBF83AE1rzNOQvGXZ4xAyK"
    }
  ]
}
