// placeholder: being written (see the team brief)
export {}
