{
  "payload": "eyJfdHlwZSI6ICJodHRwczovL2luLXRvdG8uaW8vU3RhdGVtZW50L3YxIiwgInN1YmplY3QiOiBbXX0K",
  "payloadType": "application/vnd.in-toto+json",
  "signatures": [
    {
      "keyid": "0947403fb887babb4c0fb66b0765fc75a4e86a7fed1d0c4a9f40f5b17dce945c",
      "sig": "z+hj/KuUep0Eq7JwcXkAVlEdtayrYs7pv0dnM8GvMWvalgRCNhFngIoZWyxk/tSTuvjkBwEKLEirYcQ42RpJCg=="
    }
  ]
}
