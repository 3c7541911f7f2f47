/** Guest RAM as devices, the loader and migration see it: addresses, regions, views and dirty bitmaps. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package org.jkvm.memory;
