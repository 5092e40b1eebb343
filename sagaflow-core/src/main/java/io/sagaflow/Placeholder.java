package io.sagaflow; public final class Placeholder { private Placeholder() {} }
