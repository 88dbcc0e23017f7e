#!/usr/bin/env python3
# Checks a bundle's Import-Package against the PROBE-EXPORT lines of a bridge-probes report.
# usage: check-imports.py bundle.jar killbill-e2e/target/bridge-probes-report.txt
import re,sys,zipfile
def manifest_imports(jar):
    m=zipfile.ZipFile(jar).read('META-INF/MANIFEST.MF').decode()
    m=re.sub(r'\r?\n ', '', m)
    for line in m.splitlines():
        if line.startswith('Import-Package:'):
            v=line[len('Import-Package:'):].strip()
            # split on commas not inside quotes
            parts=[];cur='';q=False
            for ch in v:
                if ch=='"': q=not q
                if ch==',' and not q: parts.append(cur);cur=''
                else: cur+=ch
            parts.append(cur); return parts
    return []
def ver(s): 
    p=[int(x) for x in re.findall(r'\d+',s)[:3]]; return tuple(p+[0]*(3-len(p)))
exports={}
for l in open(sys.argv[2]):
    if l.startswith('PROBE-EXPORT '):
        pkg,v=l[13:].strip().split(';version=')
        exports[pkg]=[ver(x) for x in v.split('|')]
for imp in manifest_imports(sys.argv[1]):
    fields=imp.split(';'); pkg=fields[0].strip()
    optional='resolution:=optional' in imp
    m=re.search(r'version="?([\[\(]?)([\d.]+)(?:,([\d.]+)([\]\)]))?',imp)
    ok=False; have=exports.get(pkg)
    if have is not None:
        for h in have:
            if not m: ok=True;break
            lo=ver(m.group(2)); 
            if h<lo or (m.group(1)=='(' and h==lo): continue
            if m.group(3):
                hi=ver(m.group(3))
                if h>hi or (m.group(4)==')' and h==hi): continue
            ok=True;break
    if not ok: print(("OPTIONAL-MISSING " if optional else "MISSING ")+imp.strip()+"   (0.22 exports: "+str(have)+")")
