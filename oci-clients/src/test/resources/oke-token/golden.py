#!/usr/bin/env python3
"""Computes the golden OKE token of OkeTokenTest independently of Java and of the OCI SDK: the
signing string of OCI's HTTP signature (draft-cavage, rsa-sha256, headers "date (request-target)
host") signed by openssl with test-key.pem (RSA PKCS#1 v1.5 is deterministic), then the URL form of
`oci ce cluster generate-token` (python requests: params authorization then date, quote_plus), then
urlsafe base64 with padding. Run: python3 golden.py  (prints signature, URL and token)."""
import base64, os, subprocess, urllib.parse

here = os.path.dirname(os.path.abspath(__file__))
region = "eu-frankfurt-1"
cluster = "ocid1.cluster.oc1.eu-frankfurt-1.aaaaaaaafencewatchgolden"
key_id = "ocid1.tenancy.oc1..aaaaaaaatenancy/ocid1.user.oc1..aaaaaaaauser/20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
date = "Thu, 05 Jan 2023 21:31:40 GMT"
host = "containerengine.%s.oraclecloud.com" % region
path = "/cluster_request/" + cluster
signing = "date: %s\n(request-target): get %s\nhost: %s" % (date, path, host)
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(here, "test-key.pem")],
                     input=signing.encode(), capture_output=True, check=True).stdout
signature = base64.b64encode(sig).decode()
authorization = ('Signature version="1",headers="date (request-target) host",keyId="%s",'
                 'algorithm="rsa-sha256",signature="%s"') % (key_id, signature)
url = "https://%s%s?%s" % (host, path, urllib.parse.urlencode({"authorization": authorization, "date": date}))
print(signature)
print(url)
print(base64.urlsafe_b64encode(url.encode()).decode())
