#!/bin/sh
echo "dckr_pat_Aah9nxB8WvE7CxKZ2aHsataAOXU" | docker login -u builder --password-stdin
