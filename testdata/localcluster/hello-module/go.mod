module tether.dev/testdata/hello

go 1.22
