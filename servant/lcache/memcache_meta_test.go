package lcache

var metaScripts []mscript
