/** Implementation of the web inspector; not API. */
package io.sagaflow.ui.internal;
