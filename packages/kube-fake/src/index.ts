// placeholder: the fake API server is being written
export {}
