int cmd_iova_bench(int argc, char **argv) { (void)argc; (void)argv; return 0; }
